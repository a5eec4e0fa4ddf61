import { InvalidError } from '../../../errors.js';
import type { Resources } from '../types.js';
import type { OciCpu, OciMemory, OciResources } from './oci.js';

/** The CFS period Docker uses for `cpus`: 100 ms, in microseconds. */
export const CPU_PERIOD = 100_000;

/** The smallest memory limit Docker takes (6 MiB): below it a container cannot start. */
const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * The cgroup limits, as Docker turns its HostConfig into them: memory limit, reservation
 * and swap (twice the limit when only a limit is given; -1 leaves swap unlimited); `cpus`
 * as a quota over a 100 ms period; shares and cpuset as given; a pids limit of 0 or less
 * as -1, unlimited. What is absent is not written, so the runtime leaves it unlimited.
 */
export function cgroupResources(resources: Resources): Omit<OciResources, 'devices'> {
  const out: Omit<OciResources, 'devices'> = {};
  const memory = memoryLimits(resources);
  if (memory) out.memory = memory;
  const cpu = cpuLimits(resources);
  if (cpu) out.cpu = cpu;
  if (resources.pids !== undefined) {
    const pids = whole(resources.pids, 'pids_limit', -Infinity);
    out.pids = { limit: pids > 0 ? pids : -1 };
  }
  return out;
}

function memoryLimits(r: Resources): OciMemory | undefined {
  const memory: OciMemory = {};
  const limit = r.memory === undefined ? 0 : whole(r.memory, 'mem_limit', 0);
  if (limit > 0 && limit < MIN_MEMORY) {
    throw new InvalidError(`mem_limit ${limit} is below the minimum of 6 MiB`, {
      path: 'mem_limit',
      hint: 'give at least 6m',
    });
  }
  if (limit > 0) memory.limit = limit;
  if (r.memoryReservation !== undefined && whole(r.memoryReservation, 'mem_reservation', 0) > 0) {
    memory.reservation = r.memoryReservation;
  }
  const swap = r.memorySwap === undefined ? 0 : whole(r.memorySwap, 'memswap_limit', -1);
  if (swap > 0) {
    if (limit === 0) {
      throw new InvalidError('memswap_limit is set without mem_limit', {
        path: 'memswap_limit',
        hint: 'set mem_limit too: memswap_limit is memory plus swap',
      });
    }
    if (swap < limit) {
      throw new InvalidError(`memswap_limit (${swap}) is less than mem_limit (${limit})`, {
        path: 'memswap_limit',
        hint: 'memswap_limit is memory plus swap: give at least mem_limit, or -1 for unlimited swap',
      });
    }
    memory.swap = swap;
  } else if (swap === 0 && limit > 0) {
    memory.swap = limit * 2;
  }
  return Object.keys(memory).length > 0 ? memory : undefined;
}

function cpuLimits(r: Resources): OciCpu | undefined {
  const cpu: OciCpu = {};
  if (r.cpuShares !== undefined && whole(r.cpuShares, 'cpu_shares', 0) > 0)
    cpu.shares = r.cpuShares;
  if (r.cpus !== undefined && r.cpus !== 0) {
    // Docker goes through nano-CPUs: cpus 0.5 is 5e8, a quota of 50 ms a period.
    const nano = Math.round(r.cpus * 1e9);
    const quota = Math.floor((nano * CPU_PERIOD) / 1e9);
    if (!Number.isFinite(r.cpus) || quota < 1000) {
      throw new InvalidError(`invalid cpus ${r.cpus}`, {
        path: 'cpus',
        hint: 'cpus is a number of CPUs from 0.01, such as 0.5 or 2',
      });
    }
    cpu.quota = quota;
    cpu.period = CPU_PERIOD;
  }
  if (r.cpusetCpus !== undefined && r.cpusetCpus !== '') {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(r.cpusetCpus)) {
      throw new InvalidError(`invalid cpuset "${r.cpusetCpus}"`, {
        path: 'cpuset',
        hint: 'a cpuset lists CPUs and ranges, such as "0-2" or "0,3"',
      });
    }
    cpu.cpus = r.cpusetCpus;
  }
  return Object.keys(cpu).length > 0 ? cpu : undefined;
}

function whole(value: number, key: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidError(`invalid ${key} ${value}`, {
      path: key,
      hint: min === 0 ? `${key} is a whole number from 0` : `${key} is a whole number`,
    });
  }
  return value;
}
