import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InvalidError, RuntimeError, TsComposeError } from '../../errors.js';
import { newHash } from '../store/digest.js';
import { decompressed } from './decompress.js';
import { LayerWriter } from './layer-writer.js';
import { TarReader } from './tar-reader.js';

export interface UnpackOptions {
  /** The layer blob's digest: every error names it. */
  layer: string;
  /** The image config's `rootfs.diff_ids` entry: a different uncompressed digest is refused. */
  diffId?: string;
}

export interface Unpacked {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/**
 * Unpacks one layer blob (gzip, zstd or plain tar, whatever its media type says) into
 * `dest`, which must not exist yet. On any failure `dest` is removed: a layer is there
 * whole or not at all.
 */
export async function unpackLayer(
  input: Readable,
  dest: string,
  options: UnpackOptions,
): Promise<Unpacked> {
  mkdirSync(dest);
  // The overlay's root takes its mode from the top layer's root: 0755 as in any image.
  chmodSync(dest, 0o755);
  const { chunks, result } = hashed(decompressed(input, options.layer));
  const reader = new TarReader(chunks, options.layer);
  try {
    const writer = new LayerWriter(dest, options.layer);
    for (let entry = await reader.next(); entry; entry = await reader.next()) {
      await writer.add(entry, reader);
    }
    const unpacked = await result();
    checkDiffId(unpacked.diffId, options);
    await writer.finish();
    return unpacked;
  } catch (error) {
    await chunks.return?.();
    rmSync(dest, { recursive: true, force: true });
    throw withEntry(asEngineError(error, options.layer), reader.where);
  }
}

/** The diff ID of a layer blob: the sha256 of its uncompressed tar. */
export async function diffIdOf(input: Readable, layer: string): Promise<Unpacked> {
  const { chunks, result } = hashed(decompressed(input, layer));
  try {
    return await result();
  } catch (error) {
    await chunks.return?.();
    throw asEngineError(error, layer);
  }
}

/** Hashes every byte that passes; `result` reads what is left and gives the digest. */
function hashed(source: AsyncGenerator<Buffer>) {
  const hash = newHash();
  let size = 0;
  const chunks = (async function* () {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  })();
  const result = async (): Promise<Unpacked> => {
    // The diff ID covers the whole stream, the end-of-archive blocks and any padding too.
    for (let next = await chunks.next(); !next.done; next = await chunks.next());
    return { diffId: `sha256:${hash.digest('hex')}`, size };
  };
  return { chunks, result };
}

function checkDiffId(actual: string, options: UnpackOptions): void {
  if (options.diffId === undefined || options.diffId === actual) return;
  throw new InvalidError(
    `layer ${options.layer} unpacks to ${actual}, but the image config says ${options.diffId}`,
    { hint: 'the layer does not belong to this image or is damaged: pull or load the image again' },
  );
}

/** A damaged compressed stream is found by the decompressor, which knows no entries. */
function withEntry(error: unknown, where: string): unknown {
  if (where && error instanceof TsComposeError && !error.message.includes(' entry "')) {
    error.message += ` (${where.trim()})`;
  }
  return error;
}

function asEngineError(error: unknown, layer: string): unknown {
  if (error instanceof TsComposeError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new RuntimeError(`unpacking layer ${layer} failed: ${reason}`, {
    cause: error,
    hint: 'check the free space and permissions of the engine root (TSCOMPOSE_ROOT)',
  });
}
