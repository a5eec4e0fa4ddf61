import { InvalidError, UnsupportedError } from '../../../errors.js';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

export type Sniffed =
  | { kind: 'tar' }
  | { kind: 'gzip' }
  | { kind: 'other'; compressed?: 'zstd' | 'bzip2' | 'xz'; looksLike: string };

/** Enough of a file's head to tell what it is: a tar header's magic sits at byte 257. */
export const SNIFF_BYTES = 512;

/** What a file's first bytes say it is, in words a user recognises. */
export function sniff(head: Buffer): Sniffed {
  if (head.length === 0) return { kind: 'other', looksLike: 'an empty file' };
  if (startsWith(head, [0x1f, 0x8b])) return { kind: 'gzip' };
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return { kind: 'tar' };
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd]))
    return { kind: 'other', compressed: 'zstd', looksLike: 'zstd-compressed data' };
  if (head.toString('latin1', 0, 3) === 'BZh')
    return { kind: 'other', compressed: 'bzip2', looksLike: 'bzip2-compressed data' };
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
    return { kind: 'other', compressed: 'xz', looksLike: 'xz-compressed data' };
  return { kind: 'other', looksLike: describe(head) };
}

function describe(head: Buffer): string {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive';
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return 'an ELF executable';
  const text = head.toString('utf8');
  if (!text.includes('\ufffd') && !/[\x00-\x08\x0e-\x1f]/.test(text)) {
    const first = text.trimStart();
    if (first.startsWith('{') || first.startsWith('['))
      return 'JSON text (a manifest on its own? load takes the whole archive)';
    const line = first.split('\n')[0]!.slice(0, 40);
    return `text beginning "${line}"`;
  }
  const hex = [...head.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0'));
  return `binary data beginning ${hex.join(' ')}`;
}

function startsWith(head: Buffer, bytes: number[]): boolean {
  return bytes.every((byte, i) => head[i] === byte);
}

/** Refuses a file that is not a tar (plain, gzip or zstd), saying what it looked like. */
export function requireTar(file: string, sniffed: Sniffed, what: string): void {
  if (sniffed.kind !== 'other' || sniffed.compressed === 'zstd') return;
  if (sniffed.compressed) {
    throw new UnsupportedError(`${file} is ${sniffed.looksLike}, which ${what} does not read`, {
      hint: `decompress it first (for example ${decompressor(sniffed.compressed)} ${file}), or use gzip or zstd`,
    });
  }
  throw new InvalidError(`${file} is not a tar archive: it looks like ${sniffed.looksLike}`, {
    hint: `${what} takes a tar file, plain or compressed with gzip or zstd`,
  });
}

function decompressor(kind: 'bzip2' | 'xz'): string {
  return { bzip2: 'bunzip2', xz: 'unxz' }[kind];
}

/**
 * Which image archive a tar is, from its entry names. `docker save` has written
 * `manifest.json` since Docker 1.10 and, from Docker 25, an OCI layout beside it: such an
 * archive is read as a docker-archive, as `docker load` reads it.
 */
export function detectFormat(file: string, names: readonly string[]): ArchiveFormat {
  const has = new Set(names);
  if (has.has('manifest.json')) return 'docker-archive';
  if (has.has('oci-layout') && has.has('index.json')) return 'oci-archive';
  if (has.has('repositories')) {
    throw new UnsupportedError(`${file} is a docker save archive from before Docker 1.10`, {
      hint: 'it has a repositories file but no manifest.json: load it into a newer Docker and save it again',
    });
  }
  const sample = names.slice(0, 5).join(', ');
  throw new InvalidError(
    `${file} is a tar archive but not an image archive: it has no manifest.json (docker-archive) and no oci-layout with index.json (oci-archive)`,
    {
      hint: names.length
        ? `its first entries are ${sample}; if it is a root file system, use image import; if it was cut short, get it again`
        : 'it is an empty tar archive',
    },
  );
}
