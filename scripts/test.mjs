// Runs the test suite and ends with the one line CI reads: "N passed, N failed, N skipped".
// Usage: node scripts/test.mjs [PATTERN]   (PATTERN filters test files, as uvu's does)
//
// A whole run has a second pass: the stack tests of networks, ports and volumes again, on
// the host made to look like one with Docker's engine on it (br_netfilter on, FORWARD's
// policy DROP), so that what tscompose does on such hosts is tested by the same suite. The
// host's policy and sysctl are put back afterwards, also when a test fails or the run is
// interrupted.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ci = process.env.CI === 'true';
const BRIDGE_NF = '/proc/sys/net/bridge/bridge-nf-call-iptables';
const DOCKER_HOST_FILES = '(network|ports|volumes|up|run)\\.test\\.ts$';

const passes = [{ dir: 'test', pattern: process.argv[2] ?? '\\.test\\.ts$' }];
if (process.argv[2] === undefined) {
  passes.push({
    title: 'the stack tests again, on a host that drops bridged traffic as Docker’s does',
    dir: 'test/stack',
    pattern: DOCKER_HOST_FILES,
    host: dockerLikeHost,
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const pass of passes) {
  if (pass.title) console.log(`\n== ${pass.title} ==`);
  let restore = () => {};
  if (pass.host) {
    const made = pass.host();
    if (typeof made === 'string') {
      console.log(`skipped: ${made}`);
      skipped += 1;
      continue;
    }
    restore = made;
  }
  const onSignal = (signal) => {
    restore();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const result = await runUvu(pass.dir, pass.pattern);
    passed += result.passed;
    failed += result.failed;
    skipped += result.skipped;
  } finally {
    restore();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (ci && skipped > 0) console.error('CI=true: skipped tests count as failures');
process.exit(failed > 0 || (ci && skipped > 0) ? 1 : 0);

async function runUvu(dir, pattern) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, pattern],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN);
  const total = count('Total');
  if (Number.isNaN(total)) {
    // uvu died before its summary (a test file failed to load): a failure, not zero tests.
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const result = { passed: count('Passed'), skipped: count('Skipped') };
  const failures = total - result.passed - result.skipped;
  return { ...result, failed: failures > 0 ? failures : code !== 0 ? 1 : 0 };
}

/**
 * FORWARD's policy DROP and bridged traffic through iptables, as Docker's engine leaves a
 * host; returns what puts the host back, or why it cannot be done here.
 */
function dockerLikeHost() {
  if (process.getuid?.() !== 0) return 'needs root, to set the FORWARD policy';
  if (!existsSync(BRIDGE_NF)) {
    try {
      execFileSync('modprobe', ['br_netfilter'], { stdio: 'ignore' });
    } catch {
      // Said below.
    }
  }
  if (!existsSync(BRIDGE_NF)) return `${BRIDGE_NF} is missing: br_netfilter cannot be loaded`;
  let policy;
  try {
    const rules = execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' });
    policy = /^-P FORWARD (\w+)/m.exec(rules)?.[1] ?? 'ACCEPT';
  } catch (error) {
    return `iptables does not answer: ${error.message}`;
  }
  const bridgeNf = readFileSync(BRIDGE_NF, 'utf8').trim();
  const restore = () => {
    execFileSync('iptables', ['-w', '-P', 'FORWARD', policy]);
    writeFileSync(BRIDGE_NF, bridgeNf);
  };
  process.once('exit', restore);
  execFileSync('iptables', ['-w', '-P', 'FORWARD', 'DROP']);
  writeFileSync(BRIDGE_NF, '1');
  console.log(`FORWARD policy DROP (was ${policy}), ${BRIDGE_NF} 1 (was ${bridgeNf})`);
  return () => {
    process.off('exit', restore);
    restore();
  };
}
