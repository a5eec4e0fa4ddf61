import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar, { type Header } from 'tar-stream';
import { InvalidError, NotFoundError, UnsupportedError } from '../../../errors.js';
import type { Engine } from '../../engine.js';
import { commitImage, storeLayer, type ManifestFormat } from '../archive/layer.js';
import { parseTagged } from '../archive/plan.js';
import { hostPlatform } from '../platform.js';
import type { ImportResult } from '../import.js';
import { DEFAULT_PATH } from './config.js';

export interface BusyboxOptions {
  /** The static busybox to copy in: /bin/busybox (Debian's busybox-static) by default. */
  busybox?: string;
  /** How applets point at the binary: symbolic links (the default) or hard links. */
  links?: 'symlink' | 'hardlink';
  /** The image's creation time: now by default; fix it for a reproducible image ID. */
  created?: Date;
  format?: ManifestFormat;
}

const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';
/**
 * Debian's static busybox is linked with glibc, whose getaddrinfo (wget, nc) crashes in a
 * root file system with no nsswitch.conf; with one it reads /etc/hosts and DNS itself.
 */
const NSSWITCH = 'hosts: files dns\n';
const DIRECTORIES: [string, number][] = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o555],
  ['root', 0o700],
  ['sbin', 0o755],
  ['sys', 0o555],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
];

/**
 * A busybox image made from the host's static busybox, with no registry: the binary at
 * /bin/busybox, every applet it lists as a link to it, /etc/passwd and /etc/group with
 * root and nobody, /etc/nsswitch.conf, /tmp with mode 1777, and `CMD ["sh"]`. The layer is the same bytes
 * for the same binary (entries carry the binary's modification time and owner 0).
 */
export async function bootstrapBusybox(
  engine: Engine,
  ref: string,
  options: BusyboxOptions = {},
): Promise<ImportResult> {
  const name = parseTagged(ref, 'image bootstrap: the name');
  const binary = options.busybox ?? '/bin/busybox';
  const applets = listApplets(binary);
  const layer = await storeLayer(engine, busyboxTree(binary, applets, options.links ?? 'symlink'));
  return commitImage(engine, {
    layers: [layer],
    platform: hostPlatform(),
    runConfig: { Env: [`PATH=${DEFAULT_PATH}`], Cmd: ['sh'] },
    created: options.created ?? new Date(),
    createdBy: `tscompose image bootstrap busybox (${path.basename(binary)} ${version(binary)})`,
    ...(options.format ? { format: options.format } : {}),
    ref: name,
  });
}

/** The applets' paths (`bin/sh`, `usr/bin/awk`), as the binary itself lists them. */
function listApplets(binary: string): string[] {
  requireStatic(binary);
  const result = spawnSync(binary, ['--list-full'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new InvalidError(`${binary} --list-full failed: it does not look like busybox`, {
      cause: result.error,
      hint: 'install the Debian package busybox-static, or pass the path of a static busybox',
    });
  }
  const applets = result.stdout
    .split('\n')
    .map((line) => line.trim().replace(/^\/+/, ''))
    .filter((line) => line && line !== 'bin/busybox' && !line.split('/').includes('..'));
  return [...new Set(applets)].sort();
}

/** Refuses a missing binary, or a dynamically linked one: a container has no host libc. */
function requireStatic(binary: string): void {
  let head: Buffer;
  try {
    head = readStart(binary, 4096);
  } catch (cause) {
    throw new NotFoundError(`${binary} does not exist: busybox-static is not installed`, {
      cause,
      hint: 'install the Debian package busybox-static (apt-get install busybox-static)',
    });
  }
  if (interpreterOf(head)) {
    throw new UnsupportedError(`${binary} is dynamically linked, so it cannot run in an image`, {
      hint: 'install the Debian package busybox-static, which replaces busybox with a static build',
    });
  }
}

/** Whether an ELF file asks for a program interpreter (ld.so): a PT_INTERP header. */
export function interpreterOf(head: Buffer): boolean {
  if (head.length < 64 || head.toString('latin1', 0, 4) !== '\x7fELF') {
    throw new InvalidError('not an ELF executable', { hint: 'pass the path of a static busybox' });
  }
  const wide = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (at: number) => (le ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number) => (le ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const phoff = wide
    ? Number(le ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20))
    : u32(0x1c);
  const size = u16(wide ? 0x36 : 0x2a);
  const count = u16(wide ? 0x38 : 0x2c);
  for (let i = 0; i < count; i += 1) {
    const at = phoff + i * size;
    if (at + 4 > head.length) break;
    if (u32(at) === 3) return true;
  }
  return false;
}

function readStart(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

function version(binary: string): string {
  const result = spawnSync(binary, ['--help'], { encoding: 'utf8' });
  return /BusyBox (v\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? 'unknown version';
}

/** The layer as a tar stream: directories first, then files and links, all owned by root. */
function busyboxTree(binary: string, applets: string[], links: 'symlink' | 'hardlink'): Readable {
  const mtime = new Date(Math.floor(statSync(binary).mtimeMs / 1000) * 1000);
  const base = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime };
  const pack = tar.pack();
  const dirs = new Map(DIRECTORIES);
  for (const applet of applets) {
    for (let dir = path.posix.dirname(applet); dir !== '.'; dir = path.posix.dirname(dir))
      if (!dirs.has(dir)) dirs.set(dir, 0o755);
  }
  for (const [dir, mode] of [...dirs].sort(([a], [b]) => (a < b ? -1 : 1)))
    pack.entry({ ...base, name: `${dir}/`, type: 'directory', mode });
  const file = (name: string, data: Buffer | string, mode: number) =>
    pack.entry({ ...base, name, type: 'file', mode }, data);
  file('bin/busybox', readFileSync(binary), 0o755);
  file('etc/group', GROUP, 0o644);
  file('etc/nsswitch.conf', NSSWITCH, 0o644);
  file('etc/passwd', PASSWD, 0o644);
  for (const applet of applets) {
    const link: Partial<Header> & { name: string } =
      links === 'symlink'
        ? { ...base, name: applet, type: 'symlink', linkname: '/bin/busybox', mode: 0o777 }
        : { ...base, name: applet, type: 'link', linkname: 'bin/busybox', mode: 0o755 };
    pack.entry(link);
  }
  pack.finalize();
  return pack as unknown as Readable;
}
