// The host's firewall lock: one holder at a time across processes, taken over from a dead
// holder, released after use also when it fails.
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withHostLock } from '../../src/engine/network/host-lock.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tscompose-lock-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('another process holding it makes us wait; we go once it lets go', async () => {
  const lock = path.join(dir, 'a.lock');
  const log = path.join(dir, 'a.log');
  const module = path.resolve(import.meta.dirname, '../../src/engine/network/host-lock.ts');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { withHostLock } from ${JSON.stringify(module)};
       import { appendFileSync } from 'node:fs';
       await withHostLock(${JSON.stringify(lock)}, async () => {
         appendFileSync(${JSON.stringify(log)}, 'child in\\n');
         process.stdout.write('held\\n');
         await new Promise((resolve) => setTimeout(resolve, 400));
         appendFileSync(${JSON.stringify(log)}, 'child out\\n');
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await withHostLock(lock, async () => appendFileSync(log, 'parent in\n'));
  await new Promise((resolve) => child.once('close', resolve));
  assert.is(readFileSync(log, 'utf8'), 'child in\nchild out\nparent in\n');
  assert.not.ok(existsSync(lock), 'released');
});

test('a lock left by a dead process is taken over; a failing use still releases it', async () => {
  const lock = path.join(dir, 'b.lock');
  writeFileSync(lock, String(2 ** 22 + 7)); // above pid_max's default: no such process
  assert.is(await withHostLock(lock, async () => 'got it'), 'got it');
  assert.not.ok(existsSync(lock));
  const failed = await withHostLock(lock, async () => {
    throw new Error('boom');
  }).catch((error: Error) => error.message);
  assert.is(failed, 'boom');
  assert.not.ok(existsSync(lock));
});

test('calls in one process take turns', async () => {
  const lock = path.join(dir, 'c.lock');
  const order: string[] = [];
  const slow = withHostLock(lock, async () => {
    order.push('slow in');
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('slow out');
  });
  const quick = withHostLock(lock, async () => void order.push('quick'));
  await Promise.all([slow, quick]);
  assert.equal(order, ['slow in', 'slow out', 'quick']);
});

test.run();
