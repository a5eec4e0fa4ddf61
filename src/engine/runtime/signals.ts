import { readFileSync } from 'node:fs';
import { InvalidError } from '../../errors.js';

/**
 * Linux signal numbers, fixed rather than taken from the host's os.constants: the signal
 * goes to a Linux container whatever Node was built for. Aliases map to the usual name.
 */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};
const ALIASES: Record<string, string> = { SIGIOT: 'SIGABRT', SIGPOLL: 'SIGIO', SIGCLD: 'SIGCHLD' };
const NAMES = new Map(Object.entries(SIGNALS).map(([name, number]) => [number, name]));

/** glibc keeps 32 and 33 for itself, so a program's SIGRTMIN is 34, as Docker counts. */
const RTMIN = 34;
const RTMAX = 64;

export interface Signal {
  name: string;
  number: number;
}

/**
 * A signal as a user writes it: `SIGTERM`, `TERM`, `sigkill`, `15`, or a real-time one as
 * `SIGRTMIN+3` / `RTMAX-1`. The name returned is the canonical `SIG…` form.
 */
export function parseSignal(text: string): Signal {
  const raw = text.trim();
  if (/^\d+$/.test(raw)) return fromNumber(Number(raw), text);
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const canonical = ALIASES[name] ?? name;
  const number = SIGNALS[canonical];
  if (number !== undefined) return { name: canonical, number };
  const realtime = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (realtime) {
    const base = realtime[1] === 'MIN' ? RTMIN : RTMAX;
    const offset = Number(realtime[3] ?? 0) * (realtime[2] === '-' ? -1 : 1);
    return fromNumber(base + offset, text);
  }
  throw invalid(text);
}

function fromNumber(number: number, text: string): Signal {
  if (!Number.isInteger(number) || number < 1 || number > RTMAX) throw invalid(text);
  const name = NAMES.get(number);
  if (name !== undefined) return { name, number };
  if (number < RTMIN) throw invalid(text);
  return { name: number === RTMIN ? 'SIGRTMIN' : `SIGRTMIN+${number - RTMIN}`, number };
}

function invalid(text: string): InvalidError {
  return new InvalidError(`"${text}" is not a signal`, {
    hint: 'use a name such as SIGTERM, TERM or KILL, or a number from 1 to 64',
  });
}

export type Disposition = 'caught' | 'ignored' | 'default' | 'gone';

/**
 * What a process does with a signal: it has a handler (SigCgt in /proc/PID/status), it
 * ignores it (SigIgn), or neither. For PID 1 of a pid namespace "neither" means the kernel
 * drops the signal (only SIGKILL and SIGSTOP get through from outside), so a stop that sent
 * SIGTERM to such a process need not wait out the grace period before SIGKILL. A zombie
 * counts as gone: it has already exited.
 */
export function signalDisposition(pid: number, signal: number): Disposition {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 'gone';
  }
  const field = (key: string) => new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(status)?.[1];
  if (field('State')?.startsWith('Z')) return 'gone';
  const has = (key: string) => {
    const mask = field(key);
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
  };
  if (has('SigCgt')) return 'caught';
  if (has('SigIgn')) return 'ignored';
  return 'default';
}
