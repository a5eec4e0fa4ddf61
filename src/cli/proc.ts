/**
 * Processes as `ps -ef` shows them (what `docker top` prints by default), read from
 * /proc/PID/stat, /proc/PID/status and /proc/PID/cmdline rather than by running `ps`,
 * which a host need not have. The parsers and the column formats are pure; the two
 * readers at the end only fetch the files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../errors.js';

/**
 * USER_HZ, the unit of the tick counts in /proc/PID/stat. Node cannot ask sysconf for it;
 * it is 100 on every architecture Linux distributions ship for (x86, arm, ppc, s390).
 */
export const CLOCK_TICKS = 100;

export const PS_HEADER = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T… */
  state: string;
  ppid: number;
  ttyNr: number;
  /** CPU time in user and kernel mode, in clock ticks. */
  utime: number;
  stime: number;
  /** When the process started, in clock ticks after boot. */
  startTicks: number;
}

export interface ProcessInfo extends ProcStat {
  /** The effective user ID, which is what `ps -f` shows as UID. */
  uid: number;
  args: string[];
}

/** What every row is measured against: the wall clock, the host's uptime, its user names. */
export interface PsClock {
  now: Date;
  uptimeSeconds: number;
  users: Map<number, string>;
}

/**
 * /proc/PID/stat. The command name sits in parentheses and may itself hold spaces and
 * parentheses, so the fields after it are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const pid = Number(text.slice(0, open).trim());
  if (open < 0 || close < open || fields.length < 20 || !Number.isInteger(pid)) {
    throw new RuntimeError(`unexpected contents in a /proc stat file: "${text.slice(0, 60)}"`, {
      hint: 'tscompose top reads the Linux /proc format; is /proc mounted?',
    });
  }
  const field = (index: number) => Number(fields[index]);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: fields[0]!,
    ppid: field(1),
    ttyNr: field(4),
    utime: field(11),
    stime: field(12),
    startTicks: field(19),
  };
}

/** The effective UID: the second of the four on the `Uid:` line of /proc/PID/status. */
export function parseEffectiveUid(status: string): number {
  const line = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  if (!line) {
    throw new RuntimeError('a /proc status file has no Uid line', {
      hint: 'tscompose top reads the Linux /proc format; is /proc mounted?',
    });
  }
  return Number(line[2]);
}

/** /proc/PID/cmdline: arguments ended by NULs; empty for kernel threads and zombies. */
export function parseCmdline(raw: string): string[] {
  const args = raw.split('\0');
  if (args.at(-1) === '') args.pop();
  return args;
}

/** /etc/passwd as UID → name; the first entry of a UID wins, as getpwuid returns it. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid) || users.has(Number(uid))) continue;
    users.set(Number(uid), name);
  }
  return users;
}

/** /proc/uptime: seconds since boot, then idle time. */
export function parseUptime(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(seconds)) {
    throw new RuntimeError(`unexpected contents in /proc/uptime: "${text.slice(0, 40)}"`);
  }
  return seconds;
}

/** The controlling terminal's name from tty_nr, as ps names it; `?` for none. */
export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${minor + (major - 136) * 256}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return 'console';
  return `${major}:${minor}`;
}

/** The TIME column: CPU time as [DD-]HH:MM:SS. */
export function cpuTime(ticks: number): string {
  let seconds = Math.floor(ticks / CLOCK_TICKS);
  const ss = seconds % 60;
  seconds = Math.floor(seconds / 60);
  const mm = seconds % 60;
  seconds = Math.floor(seconds / 60);
  const hh = seconds % 24;
  const dd = Math.floor(seconds / 24);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${dd > 0 ? `${dd}-` : ''}${two(hh)}:${two(mm)}:${two(ss)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The STIME column in local time: 15:04 today, Dec04 earlier this year, else the year. */
export function startTime(start: Date, now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  if (start.getFullYear() !== now.getFullYear()) return String(start.getFullYear());
  const sameDay = start.getMonth() === now.getMonth() && start.getDate() === now.getDate();
  if (!sameDay) return `${MONTHS[start.getMonth()]}${two(start.getDate())}`;
  return `${two(start.getHours())}:${two(start.getMinutes())}`;
}

/** The C column: CPU use over the process's whole life, in whole percent, at most 99. */
export function cpuColumn(ticks: number, elapsedSeconds: number): number {
  if (elapsedSeconds <= 0) return 0;
  return Math.min(99, Math.floor((ticks / CLOCK_TICKS / elapsedSeconds) * 100));
}

/** One `ps -ef` row, in the order of PS_HEADER. */
export function psRow(p: ProcessInfo, clock: PsClock): string[] {
  const ticks = p.utime + p.stime;
  const elapsed = clock.uptimeSeconds - p.startTicks / CLOCK_TICKS;
  const started = new Date(clock.now.getTime() - Math.max(0, elapsed) * 1000);
  const bracketed = `[${p.comm}]`;
  const command =
    p.args.length > 0 ? p.args.join(' ') : p.state === 'Z' ? `${bracketed} <defunct>` : bracketed;
  return [
    clock.users.get(p.uid) ?? String(p.uid),
    String(p.pid),
    String(p.ppid),
    String(cpuColumn(ticks, elapsed)),
    startTime(started, clock.now),
    ttyName(p.ttyNr),
    cpuTime(ticks),
    command,
  ];
}

/** One process from /proc; undefined when it exited before its files could be read. */
export function readProcess(pid: number, procRoot = '/proc'): ProcessInfo | undefined {
  const dir = path.join(procRoot, String(pid));
  try {
    const stat = parseStat(readFileSync(path.join(dir, 'stat'), 'utf8'));
    const uid = parseEffectiveUid(readFileSync(path.join(dir, 'status'), 'utf8'));
    const args = parseCmdline(readFileSync(path.join(dir, 'cmdline'), 'utf8'));
    return { ...stat, uid, args };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT while listing, ESRCH while reading: the process is gone, which is no error.
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
}

/** The clock rows are measured against; user names from the host's passwd, as ps uses. */
export function readPsClock(
  options: { procRoot?: string; passwd?: string; now?: Date } = {},
): PsClock {
  const procRoot = options.procRoot ?? '/proc';
  let users = new Map<number, string>();
  try {
    users = parsePasswd(readFileSync(options.passwd ?? '/etc/passwd', 'utf8'));
  } catch (error) {
    // No passwd file: ps prints numeric IDs then, and so does this.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return {
    now: options.now ?? new Date(),
    uptimeSeconds: parseUptime(readFileSync(path.join(procRoot, 'uptime'), 'utf8')),
    users,
  };
}
