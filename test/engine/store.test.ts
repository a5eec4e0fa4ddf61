// The content store and the state database: atomic, checked writes; resumable ingests;
// migrations that run once even when two processes open the database together.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import { openDatabase } from '../../src/engine/state/db.js';
import { MIGRATIONS } from '../../src/engine/state/migrations.js';
import { digestOf } from '../../src/engine/store/digest.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;
test.before.each(() => {
  t = testEngine();
});
test.after.each(() => t.dispose());

test('a new root is an OCI image layout', () => {
  const dir = t.engine.paths.store;
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'oci-layout'), 'utf8')), {
    imageLayoutVersion: '1.0.0',
  });
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests, []);
});

test('put stores under the digest and checks what it was told', () => {
  const { store } = t.engine;
  const written = store.put('hello');
  assert.equal(written, { digest: digestOf('hello'), size: 5 });
  assert.is(store.read(written.digest).toString(), 'hello');
  assert.throws(
    () => store.put('other', { digest: written.digest }),
    (e: unknown) => e instanceof InvalidError && /digest mismatch/.test((e as Error).message),
  );
  assert.throws(() => store.put('hello', { size: 4 }), /size mismatch/);
  assert.equal(store.list(), [written.digest]);
});

test('a stream with the wrong digest leaves nothing behind', async () => {
  const { store } = t.engine;
  const wrong = digestOf('expected');
  let failed = false;
  try {
    await store.putStream(Readable.from([Buffer.from('actual')]), { digest: wrong });
  } catch (error) {
    failed = error instanceof InvalidError;
  }
  assert.ok(failed, 'the mismatch is an InvalidError');
  assert.equal(store.list(), []);
  assert.equal(readdirSync(store.ingestDir), [], 'no temporary file left');
});

test('an interrupted ingest resumes from where it stopped', () => {
  const { store } = t.engine;
  const data = Buffer.alloc(100_000, 7);
  const digest = digestOf(data);
  const first = store.ingest({ digest, size: data.length });
  first.write(data.subarray(0, 30_000));
  first.pause();
  assert.not.ok(store.has(digest), 'not under its final name until complete');

  const second = store.ingest({ digest, size: data.length });
  assert.is(second.offset, 30_000);
  second.write(data.subarray(30_000));
  assert.equal(second.commit(), { digest, size: data.length });
  assert.ok(store.has(digest));
});

test('an ingest that receives more than announced is refused and dropped', () => {
  const { store } = t.engine;
  const ingest = store.ingest({ digest: digestOf('abc'), size: 2 });
  assert.throws(() => ingest.write(Buffer.from('abc')), /larger than the 2 bytes announced/);
  assert.not.ok(existsSync(path.join(store.ingestDir, `${digestOf('abc').slice(7)}.partial`)));
});

test('the database is migrated, in WAL mode, with foreign keys', () => {
  const { db } = t.engine;
  assert.is(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.is(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.is(db.pragma('foreign_keys', { simple: true }), 1);
});

test('several processes opening a new database at once migrate it once', async () => {
  const file = path.join(t.root, 'race', 'state.db');
  const script = `
    import { openDatabase } from ${JSON.stringify(path.resolve('src/engine/state/db.ts'))};
    const db = openDatabase(${JSON.stringify(file)});
    db.prepare("INSERT INTO events (time, type, action, subject) VALUES ('t', 'test', 'open', ?)").run(String(process.pid));
    db.close();
  `;
  const runs = Array.from(
    { length: 4 },
    () =>
      new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { stdio: 'inherit' },
        );
        child.on('close', (code) => resolve(code ?? -1));
      }),
  );
  assert.equal(await Promise.all(runs), [0, 0, 0, 0]);
  const db = openDatabase(file);
  assert.is((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 4);
  db.close();
});

test('a database newer than this tscompose is refused, not damaged', () => {
  const file = path.join(t.root, 'future.db');
  const db = openDatabase(file);
  db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
  db.close();
  assert.throws(() => openDatabase(file), /newer than this tscompose knows/);
});

test.run();
