import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidError } from '../../errors.js';
import { cleanPath, symlinkTarget } from './safe-path.js';
import { makeNodes, setXattrs, type SpecialNode } from './special-files.js';
import type { TarEntry } from './tar-reader.js';
import { makeWhiteoutDevice, OPAQUE_XATTR, whiteoutOf } from './whiteout.js';

/** What this layer has put at a path. The tree is private while it unpacks: nothing else writes. */
type Kind = 'dir' | 'symlink' | 'file' | 'node';

interface Meta {
  uid: number;
  gid: number;
  mode: number;
  atime: number;
  mtime: number;
}

export interface BodySource {
  body(sink: (chunk: Buffer) => void): Promise<void>;
}

/**
 * Applies a layer's tar entries, in order, to an empty directory: later entries replace
 * earlier ones, whiteouts become overlay whiteouts, and nothing is written outside the
 * directory. The map of what was made stands in for the file system: a parent is a
 * directory this layer made, never a symlink, so no path lookup can leave the tree.
 */
export class LayerWriter {
  private readonly known = new Map<string, Kind>([['', 'dir']]);
  private readonly nodes = new Map<string, SpecialNode & Meta>();
  private readonly xattrs = new Map<string, Map<string, Buffer>>();
  private readonly dirTimes = new Map<string, Meta>();
  private whiteoutDevice: string | undefined;

  constructor(
    private readonly root: string,
    private readonly layer: string,
  ) {}

  async add(entry: TarEntry, data: BodySource): Promise<void> {
    // Tar tools strip a leading `/` when they write; one that is there was put there.
    if (entry.name.startsWith('/')) throw this.refuse(entry.name, 'has an absolute name');
    const name = cleanPath(entry.name);
    if (name === undefined) throw this.refuse(entry.name, 'climbs out of the root with ".."');
    const whiteout = whiteoutOf(name);
    if (whiteout?.kind === 'meta') return;
    if (whiteout?.kind === 'opaque') {
      this.ensureDirectory(whiteout.dir, entry.name);
      this.setXattr(whiteout.dir, OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (whiteout?.kind === 'whiteout') {
      await this.whiteout(whiteout.path, entry.name);
      return;
    }
    if (name === '') {
      // Docker leaves the root alone; a layer cannot make it anything but a directory.
      if (entry.type === 'directory') return;
      throw this.refuse(entry.name, `replaces the root directory with a ${entry.type}`);
    }
    this.ensureParent(name, entry.name);
    const meta = metaOf(entry);
    if (entry.type === 'link') return this.hardLink(name, entry);
    if (entry.type === 'directory' && this.known.get(name) === 'dir') {
      this.chown(name, meta);
      chmodSync(this.full(name), meta.mode);
    } else {
      this.remove(name);
      await this.create(name, entry, meta, data);
    }
    if (entry.type === 'directory') this.dirTimes.set(name, meta);
    for (const [key, value] of entry.xattrs) {
      // Overlayfs reads trusted.overlay.* as instructions (redirects, copy-up origins):
      // a layer gets opaque directories from its markers only, never by naming them.
      if (!key.startsWith('trusted.overlay.')) this.setXattr(name, key, value);
    }
  }

  /** Makes what was deferred: device nodes, extended attributes, directory times. */
  async finish(): Promise<void> {
    await this.flushNodes();
    if (this.whiteoutDevice) unlinkSync(this.whiteoutDevice);
    const required = new Map<string, Map<string, Buffer>>();
    const optional = new Map<string, Map<string, Buffer>>();
    for (const [file, values] of this.xattrs) {
      for (const [key, value] of values) {
        const into = key === OPAQUE_XATTR || key === 'security.capability' ? required : optional;
        into.set(file, (into.get(file) ?? new Map()).set(key, value));
      }
    }
    await setXattrs(this.root, required);
    // Like Docker, other attributes are kept where the file system takes them: SELinux
    // labels or user.* on a symlink are refused by some hosts and matter to none here.
    await setXattrs(this.root, optional).catch(() => undefined);
    // Last: making anything inside a directory would change its modification time.
    for (const [dir, meta] of this.dirTimes) lutimesSync(this.full(dir), meta.atime, meta.mtime);
  }

  private async create(name: string, entry: TarEntry, meta: Meta, data: BodySource) {
    const file = this.full(name);
    switch (entry.type) {
      case 'file': {
        // O_EXCL: the name was just cleared, and an exclusive create never follows a symlink.
        const fd = openSync(file, 'wx', 0o600);
        try {
          await data.body((chunk) => writeAll(fd, chunk));
          fchownSync(fd, meta.uid, meta.gid);
          fchmodSync(fd, meta.mode);
          futimesSync(fd, meta.atime, meta.mtime);
        } finally {
          closeSync(fd);
        }
        this.known.set(name, 'file');
        return;
      }
      case 'directory':
        mkdirSync(file, 0o700);
        this.known.set(name, 'dir');
        this.chown(name, meta);
        chmodSync(file, meta.mode);
        return;
      case 'symlink':
        // Docker refuses a relative symlink that climbs above the root; an absolute one
        // resolves inside the container's root and is kept as written.
        if (symlinkTarget(name, entry.linkname) === undefined) {
          throw this.refuse(entry.name, `is a symlink to ${entry.linkname}, outside the root`);
        }
        symlinkSync(entry.linkname, file);
        this.known.set(name, 'symlink');
        this.chown(name, meta);
        lutimesSync(file, meta.atime, meta.mtime);
        return;
      default: {
        const { devmajor: major, devminor: minor } = entry;
        this.nodes.set(name, {
          path: name,
          type: entry.type as SpecialNode['type'],
          major,
          minor,
          ...meta,
        });
        this.known.set(name, 'node');
      }
    }
  }

  private hardLink(name: string, entry: TarEntry): void | Promise<void> {
    const target = entry.linkname.startsWith('/') ? undefined : cleanPath(entry.linkname);
    if (target === undefined || target === '') {
      throw this.refuse(entry.name, `is a hard link to ${entry.linkname}, outside the root`);
    }
    if (target === name) return;
    const kind = this.known.get(target);
    if (kind === undefined || kind === 'dir') {
      const through = this.symlinkOnTheWay(target);
      const why = through
        ? `is a hard link through the symlink ${through}`
        : kind === 'dir'
          ? `is a hard link to the directory ${target}`
          : `is a hard link to ${target}, which this layer does not contain`;
      throw this.refuse(entry.name, why);
    }
    const link = async () => {
      if (this.nodes.has(target)) await this.flushNodes();
      this.remove(name);
      linkSync(this.full(target), this.full(name));
      this.known.set(name, kind);
      const values = this.xattrs.get(target);
      if (values) this.xattrs.set(name, new Map(values));
    };
    return link();
  }

  private async whiteout(name: string, raw: string): Promise<void> {
    if (['', '.', '..'].includes(path.posix.basename(name))) {
      throw this.refuse(raw, 'is a whiteout without a name');
    }
    this.ensureParent(name, raw);
    this.remove(name);
    if (!this.whiteoutDevice) {
      this.whiteoutDevice = this.full(`.tscompose-whiteout-${randomBytes(6).toString('hex')}`);
      await makeWhiteoutDevice(this.whiteoutDevice);
    }
    linkSync(this.whiteoutDevice, this.full(name));
    this.known.set(name, 'node');
  }

  private async flushNodes(): Promise<void> {
    if (this.nodes.size === 0) return;
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    await makeNodes(this.root, nodes);
    for (const node of nodes) {
      const file = this.full(node.path);
      this.chown(node.path, node);
      chmodSync(file, node.mode);
      lutimesSync(file, node.atime, node.mtime);
    }
  }

  /** Makes the missing directories above `name`; refuses a symlink or a file on the way. */
  private ensureParent(name: string, raw: string): void {
    const parent = path.posix.dirname(name);
    if (parent !== '.') this.ensureDirectory(parent, raw);
  }

  private ensureDirectory(dir: string, raw: string): void {
    const kind = this.known.get(dir);
    if (kind === 'dir') return;
    if (kind === 'symlink') throw this.refuse(raw, `would be written through the symlink ${dir}`);
    if (kind !== undefined) throw this.refuse(raw, `is inside ${dir}, which is not a directory`);
    this.ensureParent(dir, raw);
    // Docker makes a missing parent 0755, owned by root.
    mkdirSync(this.full(dir), 0o755);
    chmodSync(this.full(dir), 0o755);
    this.known.set(dir, 'dir');
  }

  /** Clears a path for a new entry, and forgets what was deferred for it and below it. */
  private remove(name: string): void {
    const kind = this.known.get(name);
    if (kind === undefined) return;
    if (!this.nodes.delete(name)) rmSync(this.full(name), { recursive: kind === 'dir' });
    const forget = (key: string) => key === name || (kind === 'dir' && key.startsWith(`${name}/`));
    for (const map of [this.known, this.nodes, this.xattrs, this.dirTimes]) {
      for (const key of map.keys()) if (forget(key)) map.delete(key);
    }
  }

  private symlinkOnTheWay(target: string): string | undefined {
    const parts = target.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const prefix = parts.slice(0, i).join('/');
      if (this.known.get(prefix) === 'symlink') return prefix;
    }
    return undefined;
  }

  private setXattr(name: string, key: string, value: Buffer): void {
    const values = this.xattrs.get(name) ?? new Map<string, Buffer>();
    this.xattrs.set(name, values.set(key, value));
  }

  private chown(name: string, meta: Meta): void {
    lchownSync(this.full(name), meta.uid, meta.gid);
  }

  private full(name: string): string {
    return name === '' ? this.root : path.join(this.root, name);
  }

  private refuse(entry: string, why: string): InvalidError {
    return new InvalidError(`layer ${this.layer}: entry "${entry}" ${why}`, {
      hint: 'the layer tries to write outside its root file system or is malformed; nothing of it was kept',
    });
  }
}

function metaOf(entry: TarEntry): Meta {
  // Docker: the access time is never before the modification time.
  const atime = Math.max(entry.atime ?? entry.mtime, entry.mtime);
  return { uid: entry.uid, gid: entry.gid, mode: entry.mode & 0o7777, atime, mtime: entry.mtime };
}

function writeAll(fd: number, chunk: Buffer): void {
  let done = 0;
  while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
}
