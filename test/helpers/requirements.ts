/**
 * What a test needs from the machine, declared up front. Where it is missing the test is
 * skipped with the reason; under CI=true it fails instead, because CI installs everything
 * the tests need (scripts/test.sh) and a skip there would hide a broken setup.
 */
import { spawnSync } from 'node:child_process';
import type { Test } from 'uvu';

export type Requirement = { met: true; detail: string } | { met: false; reason: string };

/** A command that runs: `args` is a cheap invocation such as `version`. */
export function commandRuns(command: string, args: string[], why: string): Requirement {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const cause = result.error ? result.error.message : `exit code ${result.status}`;
    return { met: false, reason: `${command} is not usable (${cause}): ${why}` };
  }
  return { met: true, detail: result.stdout.trim().split('\n')[0] ?? '' };
}

/** Registers the tests when the requirement is met, else one skipped (or, in CI, failing) test. */
export function whenMet(test: Test, requirement: Requirement, register: () => void): void {
  if (requirement.met) {
    register();
    return;
  }
  const { reason } = requirement;
  if (process.env.CI === 'true') {
    test(`requirement: ${reason}`, () => {
      throw new Error(`CI=true and a requirement is missing: ${reason}`);
    });
    return;
  }
  // uvu counts a skipped test but does not name it: say why, once, where the run is read.
  console.warn(`skipped: ${reason}`);
  test.skip(`requirement: ${reason}`);
}

/** The integrated engine mounts, creates devices and changes owners: it needs root. */
export function runningAsRoot(why: string): Requirement {
  const uid = process.getuid?.() ?? -1;
  return uid === 0
    ? { met: true, detail: 'root' }
    : { met: false, reason: `not running as root (uid ${uid}): ${why}` };
}

/** Every requirement met, or the first that is not. */
export function allOf(...requirements: Requirement[]): Requirement {
  return requirements.find((r) => !r.met) ?? { met: true, detail: 'all met' };
}
