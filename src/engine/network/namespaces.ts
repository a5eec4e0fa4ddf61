import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { succeeds, type CommandRunner } from './commands.js';

/** Where `ip netns` keeps its namespaces; iproute2 knows no other directory. */
export const DEFAULT_NETNS_DIR = '/run/netns';

/**
 * Named network namespaces: a bind mount of the namespace on a file, so that it outlives the
 * process that made it and runc can join it by path. In /run/netns `ip netns` makes them (and
 * keeps that directory a shared mount); elsewhere `unshare --net=<file>` does.
 */
export class Namespaces {
  constructor(
    private readonly run: CommandRunner,
    readonly dir: string,
  ) {}

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** Whether the file is a network namespace, not merely a file left by a crash. */
  async exists(name: string): Promise<boolean> {
    const file = this.path(name);
    return existsSync(file) && (await succeeds(this.run, 'nsenter', [`--net=${file}`, 'true']));
  }

  /** Makes the namespace, with loopback up, unless it is there already. */
  async create(name: string): Promise<string> {
    const file = this.path(name);
    if (!(await this.exists(name))) {
      if (existsSync(file)) rmSync(file, { force: true });
      if (this.dir === DEFAULT_NETNS_DIR) {
        await this.run('ip', ['netns', 'add', name]);
      } else {
        mkdirSync(this.dir, { recursive: true, mode: 0o755 });
        writeFileSync(file, '', { mode: 0o444 });
        await this.run('unshare', [`--net=${file}`, 'true']);
      }
    }
    await this.run('nsenter', [`--net=${file}`, 'ip', 'link', 'set', 'dev', 'lo', 'up']);
    return file;
  }

  /** Unmounts and removes it; the namespace ends, with its veths, when no process holds it. */
  async delete(name: string): Promise<void> {
    const file = this.path(name);
    if (!existsSync(file)) return;
    if (this.dir === DEFAULT_NETNS_DIR) {
      await this.run('ip', ['netns', 'delete', name]);
      return;
    }
    if (await this.exists(name)) await this.run('umount', [file]);
    rmSync(file, { force: true });
  }
}
