// Every benchmark in one command: `npm run bench [NAME…]` (after `npm run build`, as root
// for the engine's). Each prints its own figures and, where the peer tool is installed,
// the ratio against it in the same run. Names: planner, unpack, pull, up, proxy, ports,
// sample.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['planner', 'unpack', 'pull', 'up', 'proxy', 'ports', 'sample'];
const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!BENCHES.includes(name)) {
    console.error(`unknown benchmark "${name}": choose from ${BENCHES.join(', ')}`);
    process.exit(2);
  }
}

let failed = 0;
for (const name of chosen.length > 0 ? chosen : BENCHES) {
  console.log(`\n== ${name} ==`);
  const script = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  const { status } = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`${name}: exited with ${status}`);
    failed += 1;
  }
}
process.exit(failed > 0 ? 1 : 0);
