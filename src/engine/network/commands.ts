import { spawn } from 'node:child_process';
import { RuntimeError } from '../../errors.js';
import { exitOf, missingTool } from '../snapshot/tools.js';

/**
 * Runs a host tool and returns its stdout; a non-zero exit throws a `CommandError`. `input`
 * is written to its stdin (`ip -batch -`), which is closed otherwise.
 */
export type CommandRunner = (command: string, args: string[], input?: string) => Promise<string>;

/** A tool that ran and failed: its exit code and stderr, for callers that expect some failures. */
export class CommandError extends RuntimeError {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit code ${code ?? 'none'}): ${stderr.trim() || 'no message'}`, {
      hint: `the command was: ${[command, ...args].join(' ')}`,
    });
  }
}

const PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  iptables: 'iptables',
  'iptables-legacy': 'iptables',
  'iptables-nft': 'iptables',
  ip6tables: 'iptables',
  'ip6tables-legacy': 'iptables',
  'ip6tables-nft': 'iptables',
  nft: 'nftables',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  umount: 'mount',
  sysctl: 'procps',
  cat: 'coreutils',
};

/**
 * Runs commands on this host, each behind `prefix` when given. A prefix that enters another
 * network namespace (`nsenter --net=/run/netns/simhost`) makes that namespace the "host" the
 * manager works on; it must not enter another mount namespace (`ip netns exec` does), or the
 * namespaces the manager creates would vanish with the command.
 */
export function hostCommands(prefix: readonly string[] = []): CommandRunner {
  return async (command, args, input) => {
    const [file, ...rest] = [...prefix, command, ...args] as [string, ...string[]];
    const child = spawn(file, rest, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined); // a tool that exits early: its exit says why
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < 4096) stderr += text;
    });
    const { error, code } = await exitOf(child);
    if (error) throw missingTool(file, PACKAGES[file] ?? file, error);
    if (code !== 0) throw new CommandError(command, args, code, stderr);
    return stdout;
  };
}

/** Runs `args` of `command`, true when it succeeds, false when it exits non-zero (`iptables -C`). */
export async function succeeds(run: CommandRunner, command: string, args: string[]) {
  try {
    await run(command, args);
    return true;
  } catch (err) {
    if (err instanceof CommandError) return false;
    throw err;
  }
}
