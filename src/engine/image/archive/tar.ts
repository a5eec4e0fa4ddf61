import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar, { type Extract } from 'tar-stream';
import { InvalidError, NotFoundError, TsComposeError } from '../../../errors.js';
import type { Compression } from '../types.js';
import { readableOf, uncompressed } from './compression.js';
import { requireTar, sniff, SNIFF_BYTES } from './detect.js';

/** An entry of a tar being read: its header, and a stream of its body. */
export type TarEntry = Extract extends AsyncIterable<infer Source> ? Source : never;

/** Bytes done out of a total, for a progress display. */
export type ByteProgress = (done: number, total: number) => void;

export interface ReadTarOptions {
  /** What reads the file, for messages: `image load`. */
  what: string;
  onProgress?: ByteProgress;
}

/**
 * Reads a tar file, plain or compressed (gzip, zstd), entry by entry. `onEntry` may read
 * the entry's body; whatever it leaves is skipped. A truncated or corrupt file is an
 * InvalidError that names it and the entry being read.
 */
export async function readTar(
  file: string,
  options: ReadTarOptions,
  onEntry: (entry: TarEntry) => Promise<void>,
): Promise<Compression> {
  const { size } = statFile(file);
  const sniffed = sniff(readHead(file, SNIFF_BYTES));
  requireTar(file, sniffed, options.what);
  const compression: Compression =
    sniffed.kind === 'gzip' ? 'gzip' : sniffed.kind === 'other' ? 'zstd' : 'none';

  const counted = readableOf(countBytes(createReadStream(file), size, options));
  const extract = tar.extract();
  const feeding = pipeline(readableOf(uncompressed(counted, compression, file)), extract);
  // Handled below, after the entries; this keeps an early failure from being "unhandled".
  feeding.catch(() => undefined);
  let entries = 0;
  let current: string | undefined;
  try {
    for await (const entry of extract) {
      entries += 1;
      current = entry.header.name;
      await onEntry(entry);
      entry.resume();
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    await feeding.catch(() => undefined);
    throw explain(error, { file, compression, entries, current });
  }
  return compression;
}

/** The first bytes of a file (fewer if it is shorter). */
export function readHead(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

export function statFile(file: string): { size: number; isDirectory: boolean } {
  try {
    const stat = statSync(file);
    return { size: stat.size, isDirectory: stat.isDirectory() };
  } catch (cause) {
    throw new NotFoundError(`${file} does not exist or cannot be read`, { cause });
  }
}

/**
 * An entry's name as a path relative to the archive's root (`./a//b/` is `a/b`, the root
 * itself is ''), or undefined for a name that leaves the root: absolute or through `..`.
 */
export function entryPath(name: string): string | undefined {
  if (name.startsWith('/')) return undefined;
  const normal = path.posix.normalize(name).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) return undefined;
  return normal === '.' ? '' : normal;
}

async function* countBytes(
  input: AsyncIterable<Buffer>,
  total: number,
  options: ReadTarOptions,
): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of input) {
    done += chunk.length;
    options.onProgress?.(done, total);
    yield chunk;
  }
}

interface Reading {
  file: string;
  compression: Compression;
  entries: number;
  /** The last entry begun: a cut or damage is in its body or right after it. */
  current: string | undefined;
}

function explain(error: unknown, { file, compression, entries, current }: Reading): unknown {
  const where = current === undefined ? '' : ` (at entry ${current})`;
  if (error instanceof TsComposeError) {
    if (where && error instanceof InvalidError && !error.message.includes(where))
      error.message = `${error.message}${where}`;
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (compression !== 'none' && entries === 0 && /tar header/i.test(message)) {
    return new InvalidError(`${file} is ${compression}-compressed data but not a tar archive`, {
      cause: error,
      hint: 'expected a tar file, plain or compressed',
    });
  }
  return new InvalidError(`${file} is truncated or corrupt${where}: ${lowerFirst(message)}`, {
    cause: error,
    hint: 'nothing was stored; copy or write the file again',
  });
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
