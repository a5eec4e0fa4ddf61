import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidError } from '../../../errors.js';
import { newHash } from '../../store/digest.js';
import { entryPath, readTar, type ByteProgress, type TarEntry } from './tar.js';

/** A regular file of the archive, copied out and hashed on the way. */
export interface StagedFile {
  /** Where the copy is: beside the store, so that adopting it is a rename. */
  path: string;
  size: number;
  digest: string;
}

type Node = { file: StagedFile } | { symlink: string } | { hardlink: string };

/** Links are followed this many times at most: a loop in a hostile archive must end. */
const MAX_LINKS = 16;

/**
 * An archive copied into a scratch directory, every file hashed once. Nothing here is in
 * the store yet: the caller checks everything first and then adopts the files it needs.
 */
export class StagedArchive {
  private readonly nodes = new Map<string, Node>();
  private copies = 0;

  private constructor(
    readonly file: string,
    readonly dir: string,
  ) {}

  /** Copies out `file` (a tar, plain or gzip) into a new directory under `scratch`. */
  static async read(
    file: string,
    scratch: string,
    options: { what: string; onProgress?: ByteProgress },
  ): Promise<StagedArchive> {
    const staged = new StagedArchive(file, mkdtempSync(path.join(scratch, 'archive-')));
    try {
      await readTar(file, options, async (entry) => {
        const name = entryPath(entry.header.name);
        if (name === undefined) {
          throw new InvalidError(
            `${file} has an entry that leaves the archive: ${entry.header.name}`,
            {
              hint: 'image archives name their files relative to the archive; this one is not safe to read',
            },
          );
        }
        await staged.add(name, entry);
      });
      return staged;
    } catch (error) {
      staged.dispose();
      throw error;
    }
  }

  /** Entry names in archive order, for format detection and messages. */
  names(): string[] {
    return [...this.nodes.keys()];
  }

  /** The file at `name`, following symbolic and hard links inside the archive. */
  find(name: string): StagedFile | undefined {
    let current = entryPath(name);
    for (let hops = 0; current !== undefined && hops <= MAX_LINKS; hops += 1) {
      const node = this.nodes.get(current);
      if (!node) return undefined;
      if ('file' in node) return node.file;
      current =
        'hardlink' in node
          ? entryPath(node.hardlink)
          : entryPath(path.posix.join(path.posix.dirname(current), node.symlink));
    }
    return undefined;
  }

  /** The file at `name`, which the archive's own metadata says is there. */
  need(name: string, what: string): StagedFile {
    const found = this.find(name);
    if (!found) {
      throw new InvalidError(
        `${this.file} names ${what} ${name}, but the archive does not contain it`,
        {
          hint: 'the archive is incomplete: save or copy it again',
        },
      );
    }
    return found;
  }

  /** The file an OCI layout keeps a blob in, checked against its digest. */
  blob(digest: string, what: string, size?: number): StagedFile {
    const name = `blobs/${digest.replace(':', '/')}`;
    const found = this.need(name, what);
    if (found.digest !== digest) {
      throw new InvalidError(
        `${this.file}: ${what} ${name} does not match its digest: its content hashes to ${found.digest}`,
        { hint: 'the archive is corrupt; nothing was stored' },
      );
    }
    if (size !== undefined && found.size !== size) {
      throw new InvalidError(
        `${this.file}: ${what} ${name} is ${found.size} bytes, but its descriptor says ${size}`,
        { hint: 'the archive is corrupt; nothing was stored' },
      );
    }
    return found;
  }

  readJson<T>(file: StagedFile, name: string): T {
    try {
      return JSON.parse(readFileSync(file.path, 'utf8')) as T;
    } catch (cause) {
      throw new InvalidError(`${this.file}: ${name} is not valid JSON`, {
        cause,
        hint: 'the archive is corrupt; nothing was stored',
      });
    }
  }

  open(file: StagedFile) {
    return createReadStream(file.path);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async add(name: string, entry: TarEntry): Promise<void> {
    const { header } = entry;
    if (header.type === 'symlink') this.nodes.set(name, { symlink: header.linkname ?? '' });
    else if (header.type === 'link') this.nodes.set(name, { hardlink: header.linkname ?? '' });
    else if (header.type === 'file' || header.type === 'contiguous-file') {
      this.copies += 1;
      const target = path.join(this.dir, String(this.copies));
      const hash = newHash();
      let size = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(entry, hashing, createWriteStream(target, { mode: 0o600 }));
      this.nodes.set(name, {
        file: { path: target, size, digest: `sha256:${hash.digest('hex')}` },
      });
    }
  }
}
