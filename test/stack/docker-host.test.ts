// A host like one with Docker's engine on it: br_netfilter on and FORWARD's policy DROP,
// which drops traffic between containers on a bridge unless the engine lets its own
// bridges through. The test sets both for its own run and puts them back after, also
// when it fails (and when the process exits early).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allOf, commandRuns, whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);
const BRIDGE_NF = '/proc/sys/net/bridge/bridge-nf-call-iptables';
const requirement = allOf(
  containersRequirement,
  commandRuns(
    'iptables',
    ['-w', '-S', 'FORWARD'],
    'the test sets the FORWARD policy as Docker does',
  ),
  existsSync(BRIDGE_NF)
    ? { met: true, detail: 'br_netfilter' }
    : {
        met: false,
        reason: `${BRIDGE_NF} is missing: br_netfilter is not loaded (modprobe br_netfilter)`,
      },
);

function forwardPolicy(): string {
  const first = execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }).split(
    '\n',
  )[0]!;
  return /^-P FORWARD (\w+)/.exec(first)?.[1] ?? 'ACCEPT';
}

whenMet(test, requirement, () => {
  test('on a host that drops bridged traffic, services still reach each other and their ports', async () => {
    const policy = forwardPolicy();
    const bridgeNf = readFileSync(BRIDGE_NF, 'utf8').trim();
    const restore = () => {
      execFileSync('iptables', ['-w', '-P', 'FORWARD', policy]);
      writeFileSync(BRIDGE_NF, bridgeNf);
    };
    process.once('exit', restore);
    try {
      execFileSync('iptables', ['-w', '-P', 'FORWARD', 'DROP']);
      writeFileSync(BRIDGE_NF, '1');
      const t = await stack(
        [
          'services:',
          '  api:',
          '    image: busybox',
          '    command: ["sh", "-c", "mkdir -p /www && echo pong > /www/ping && exec httpd -f -p 8080 -h /www"]',
          '    ports: ["127.0.0.1::8080"]',
          '  web:',
          '    image: busybox',
          '    command: ["sleep", "1000"]',
          '',
        ].join('\n'),
      );
      await t.ok(['up', '-d']);
      const byName = await t.cli([
        'exec',
        '-T',
        'web',
        'wget',
        '-q',
        '-O',
        '-',
        'http://api:8080/ping',
      ]);
      assert.is(byName.stdout, 'pong\n', byName.stderr);
      const port = (await t.ok(['port', 'api', '8080'])).trim().split(':')[1];
      const response = await fetch(`http://127.0.0.1:${port}/ping`, {
        signal: AbortSignal.timeout(10_000),
      });
      assert.is(await response.text(), 'pong\n');
      // The control: without the engine's rules this host drops the same traffic.
      const ping = ['exec', '-T', 'web', 'ping', '-c', '1', '-W', '1', 'api'];
      assert.is((await t.cli(ping)).code, 0);
      execFileSync('iptables', ['-w', '-D', 'FORWARD', '-j', 'TSCOMPOSE-FORWARD']);
      try {
        assert.is.not((await t.cli(ping)).code, 0, 'dropped without the rules');
      } finally {
        execFileSync('iptables', ['-w', '-I', 'FORWARD', '1', '-j', 'TSCOMPOSE-FORWARD']);
      }
      await t.ok(['down', '-t', '0']);
      const rules = execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' });
      assert.not.match(rules, /TSCOMPOSE/, 'down took its rules with it');
    } finally {
      restore();
      process.off('exit', restore);
    }
    assert.is(forwardPolicy(), policy, 'the host policy is as it was');
  });
});

test.run();
