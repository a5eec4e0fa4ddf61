import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidError, UnsupportedError } from '../../../errors.js';
import { newHash } from '../../store/digest.js';
import type { Compression } from '../types.js';

/**
 * The uncompressed bytes of `input`. gzip is Node's own; zstd goes through the `zstd`
 * command (Node 20's zlib has no zstd). A damaged stream is an InvalidError that says
 * `what` was being read.
 */
export async function* uncompressed(
  input: Readable,
  compression: Compression,
  what: string,
): AsyncGenerator<Buffer> {
  if (compression === 'none') {
    for await (const chunk of input) yield chunk as Buffer;
    return;
  }
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    const feeding = pipeline(input, gunzip).catch((error: unknown) => error);
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (cause) {
      throw damaged(what, 'gzip', cause);
    } finally {
      gunzip.destroy();
      input.destroy();
    }
    const failed = await feeding;
    if (failed) throw damaged(what, 'gzip', failed);
    return;
  }
  yield* unzstd(input, what);
}

async function* unzstd(input: Readable, what: string): AsyncGenerator<Buffer> {
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  // zstd stops reading at bad data: its exit code says so, an EPIPE here would not.
  child.stdin.on('error', () => undefined);
  const feeding = pipeline(input, child.stdin).catch(() => undefined);
  let done = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    done = true;
  } finally {
    if (!done) child.kill();
    input.destroy();
  }
  await feeding;
  const { code, error } = await exited;
  if (error) {
    throw new UnsupportedError(`cannot read ${what}: it is zstd-compressed and zstd is missing`, {
      cause: error,
      hint: 'install the Debian package zstd',
    });
  }
  if (code !== 0) throw damaged(what, 'zstd', new Error(stderr.trim() || `exit code ${code}`));
}

function damaged(what: string, kind: string, cause: unknown): InvalidError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new InvalidError(`${what} is not valid ${kind} data${detail}`, {
    cause,
    hint: 'the data is truncated or corrupt; nothing was stored',
  });
}

/** The sha256 digest of `input` once uncompressed: a layer's diff ID. */
export async function uncompressedDigest(
  input: Readable,
  compression: Compression,
  what: string,
): Promise<string> {
  const hash = newHash();
  for await (const chunk of uncompressed(input, compression, what)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** How bytes are compressed, from their first bytes (the magic numbers decide, not names). */
export function compressionOf(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

export function readableOf(chunks: AsyncIterable<Buffer>): Readable {
  return Readable.from(chunks, { objectMode: false });
}
