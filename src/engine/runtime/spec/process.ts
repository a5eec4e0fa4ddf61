import path from 'node:path';
import { InvalidError } from '../../../errors.js';
import type { ImageRunConfig } from '../../image/types.js';
import type { ContainerSpec } from '../types.js';
import { capabilitySet, processCapabilities } from './capabilities.js';
import { processEnv } from './env.js';
import type { OciProcess } from './oci.js';
import { processRlimits } from './rlimits.js';
import type { ResolvedUser } from './user.js';

export interface ProcessInput {
  spec: ContainerSpec;
  image: ImageRunConfig;
  /** What runs, the init in front of it included. */
  args: string[];
  user: ResolvedUser;
  hostname: string;
  capabilities: readonly string[];
}

/** The `process` section: what runs, as whom, where, with which environment and rights. */
export function processSection(input: ProcessInput): OciProcess {
  const { spec, image, user } = input;
  const caps = capabilitySet({
    capAdd: spec.capAdd,
    capDrop: spec.capDrop,
    privileged: spec.privileged,
    available: input.capabilities,
  });
  const process: OciProcess = {
    terminal: spec.tty === true,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    args: input.args,
    env: processEnv({
      image: image.Env ?? [],
      service: spec.env,
      hostname: input.hostname,
      tty: spec.tty === true,
      home: user.home,
    }),
    cwd: workingDir(spec.workingDir || image.WorkingDir || '/'),
    capabilities: processCapabilities(caps, user.uid),
    oomScoreAdj: oomScoreAdj(spec.resources.oomScoreAdj ?? 0),
  };
  const rlimits = processRlimits(spec.ulimits ?? []);
  if (rlimits) process.rlimits = rlimits;
  if (spec.noNewPrivileges) process.noNewPrivileges = true;
  return process;
}

function workingDir(dir: string): string {
  if (!dir.startsWith('/')) {
    throw new InvalidError(`the working directory "${dir}" is not an absolute path`, {
      path: 'working_dir',
      hint: 'give working_dir as a path in the container, starting with /',
    });
  }
  const clean = path.posix.normalize(dir);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}

function oomScoreAdj(score: number): number {
  if (!Number.isInteger(score) || score < -1000 || score > 1000) {
    throw new InvalidError(`invalid oom_score_adj ${score}`, {
      path: 'oom_score_adj',
      hint: 'oom_score_adj is a whole number from -1000 to 1000',
    });
  }
  return score;
}
