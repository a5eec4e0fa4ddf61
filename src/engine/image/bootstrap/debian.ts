import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidError, NotFoundError, PermissionError, RuntimeError } from '../../../errors.js';
import type { Engine } from '../../engine.js';
import { commitImage, storeLayer, type ManifestFormat } from '../archive/layer.js';
import { parseTagged } from '../archive/plan.js';
import { packTree } from '../archive/tree.js';
import type { ImportResult } from '../import.js';
import { hostPlatform } from '../platform.js';
import { DEFAULT_PATH } from './config.js';
import { hostMirror } from './mirror.js';
import { mountsUnder, unmountAndRemove } from './mounts.js';

export interface DebianOptions {
  /** The Debian release: bookworm by default. */
  suite?: string;
  /** Packages added to minbase (debootstrap --include), with their dependencies. */
  packages?: string[];
  /** The archive to fetch from: the host's apt mirror by default. */
  mirror?: string;
  /** Each line debootstrap prints, for a progress display. */
  onOutput?: (line: string) => void;
  /** Stops debootstrap; the temporary root file system is removed. */
  signal?: AbortSignal;
  /** The image's creation time: now by default. */
  created?: Date;
  format?: ManifestFormat;
}

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const SUITE = /^[a-z][a-z0-9-]*$/;
const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/**
 * A Debian minbase image, made by `debootstrap --variant=minbase` in a scratch directory
 * under the engine's tmp and imported as one layer, with PATH set and `CMD ["bash"]`.
 * Takes minutes: debootstrap downloads and unpacks every package. Needs root and the
 * Debian package debootstrap. The scratch directory is unmounted and removed in every case.
 */
export async function bootstrapDebian(
  engine: Engine,
  ref: string,
  options: DebianOptions = {},
): Promise<ImportResult> {
  const name = parseTagged(ref, 'image bootstrap: the name');
  const suite = options.suite ?? 'bookworm';
  const packages = options.packages ?? [];
  if (!SUITE.test(suite)) throw new InvalidError(`"${suite}" is not a Debian suite name`);
  const bad = packages.find((pkg) => !PACKAGE.test(pkg));
  if (bad !== undefined) {
    throw new InvalidError(`"${bad}" is not a Debian package name`, {
      hint: 'package names use lower-case letters, digits and + - .',
    });
  }
  if (process.getuid?.() !== 0) {
    throw new PermissionError('image bootstrap debian needs root', {
      hint: 'debootstrap creates device files and changes owners; run it as root',
    });
  }

  const scratch = mkdtempSync(path.join(engine.paths.tmp, 'debootstrap-'));
  let failed = false;
  try {
    const rootfs = path.join(scratch, 'rootfs');
    const mirror = options.mirror ?? hostMirror();
    const include = packages.length ? [`--include=${packages.join(',')}`] : [];
    await debootstrap(['--variant=minbase', ...include, suite, rootfs, mirror], options);
    tidy(rootfs);
    const layer = await storeLayer(engine, packTree(rootfs));
    return commitImage(engine, {
      layers: [layer],
      platform: hostPlatform(),
      runConfig: { Env: [`PATH=${DEFAULT_PATH}`], Cmd: ['bash'] },
      created: options.created ?? new Date(),
      createdBy: `debootstrap --variant=minbase ${include.join(' ')} ${suite} ${mirror}`.replace(
        /\s+/g,
        ' ',
      ),
      ...(options.format ? { format: options.format } : {}),
      ref: name,
    });
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    try {
      unmountAndRemove(scratch);
    } catch (cleanup) {
      // After a failure its cause matters more; the clean-up's own error would hide it.
      if (!failed) throw cleanup;
    }
  }
}

async function debootstrap(args: string[], options: DebianOptions): Promise<void> {
  const child = spawn('debootstrap', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    options.onOutput?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8').on('data', (text: string) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop()!;
      lines.forEach(onLine);
    });
    stream.on('end', () => rest && onLine(rest));
  }
  const [code, error] = await new Promise<[number | null, Error | undefined]>((resolve) => {
    child.on('error', (err) => resolve([null, err]));
    child.on('close', (status) => resolve([status, undefined]));
  });
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new NotFoundError('debootstrap is not installed', {
      cause: error,
      hint: 'install the Debian package debootstrap (apt-get install debootstrap)',
    });
  }
  if (error || code !== 0) {
    const why = error ? error.message : `exit code ${code}`;
    throw new RuntimeError(`debootstrap failed (${why}): ${tail.slice(-5).join(' | ')}`, {
      cause: error,
      hint: 'its last lines are above; check the mirror, the suite and the package names',
    });
  }
}

/**
 * What debootstrap leaves that an image must not carry: the host's resolv.conf, hosts
 * and hostname (the runtime provides its own), device files, downloaded packages and
 * package lists (as Debian's own images drop them).
 */
function tidy(rootfs: string): void {
  const left = mountsUnder(rootfs);
  if (left.length > 0) throw new RuntimeError(`debootstrap left ${left.join(', ')} mounted`);
  const empty = (dir: string, keep: (name: string) => boolean = () => false) => {
    const full = path.join(rootfs, dir);
    for (const name of safeList(full))
      if (!keep(name)) rmSync(path.join(full, name), { recursive: true, force: true });
  };
  empty('dev');
  empty('proc');
  empty('sys');
  empty('run', (name) => name === 'lock');
  empty('tmp');
  empty('var/cache/apt/archives', (name) => name === 'partial' || name === 'lock');
  empty('var/lib/apt/lists', (name) => name === 'partial' || name === 'lock');
  for (const name of safeList(path.join(rootfs, 'var/cache/apt')))
    if (name.endsWith('.bin')) rmSync(path.join(rootfs, 'var/cache/apt', name), { force: true });
  writeFileSync(path.join(rootfs, 'etc/resolv.conf'), '');
  writeFileSync(path.join(rootfs, 'etc/hostname'), 'localhost\n');
  writeFileSync(path.join(rootfs, 'etc/hosts'), HOSTS);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
