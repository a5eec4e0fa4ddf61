// Runs the test suite and ends with the one line CI reads: "N passed, N failed, N skipped".
// Usage: node scripts/test.mjs [PATTERN]   (PATTERN filters test files, as uvu's does)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const ci = process.env.CI === 'true';

const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern],
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
const passed = count('Passed');
const skipped = count('Skipped');
if (Number.isNaN(total)) {
  // uvu died before its summary (a test file failed to load): that is a failure, not zero tests.
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const failed = total - passed - skipped;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (ci && skipped > 0) console.error('CI=true: skipped tests count as failures');
process.exit(code !== 0 || failed > 0 || (ci && skipped > 0) ? 1 : 0);
