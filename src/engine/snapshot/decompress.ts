import { spawn } from 'node:child_process';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidError } from '../../errors.js';
import type { Compression } from '../image/types.js';
import { exitOf, missingTool } from './tools.js';

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Larger than zlib's 16 KiB default: fewer, bigger chunks for the tar reader. */
const CHUNK = 256 * 1024;

/**
 * How a blob is compressed, from its first bytes. The bytes decide, not the media type:
 * registries and old tools label layers wrongly, and containerd also trusts the magic.
 */
export function sniffCompression(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD)) return 'zstd';
  return 'none';
}

/**
 * The uncompressed bytes of a layer blob, as they come. A damaged stream is an
 * InvalidError naming the layer; stopping early stops the decompressor too.
 */
export async function* decompressed(input: Readable, layer: string): AsyncGenerator<Buffer> {
  const source = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head: Buffer = Buffer.alloc(0);
  try {
    while (head.length < ZSTD.length) {
      const next = await source.next();
      if (next.done) break;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    }
    const compression = sniffCompression(head);
    if (compression === 'none') {
      if (head.length > 0) yield head;
      for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
      return;
    }
    const rest = Readable.from(prepend(head, source), { objectMode: false });
    if (compression === 'gzip') yield* gunzip(rest, layer);
    else yield* unzstd(rest, layer);
  } finally {
    input.destroy();
  }
}

async function* gunzip(input: Readable, layer: string): AsyncGenerator<Buffer> {
  const inflate = createGunzip({ chunkSize: CHUNK });
  pipeline(input, inflate, () => undefined);
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException).code === 'string') {
      if ((error as NodeJS.ErrnoException).code!.startsWith('Z_'))
        throw damaged(layer, 'gzip', error);
    }
    throw error;
  } finally {
    inflate.destroy();
  }
}

async function* unzstd(input: Readable, layer: string): AsyncGenerator<Buffer> {
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const ended = exitOf(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  // zstd stops reading when the data is bad: its exit code reports that, not EPIPE.
  child.stdin.on('error', () => undefined);
  pipeline(input, child.stdin, () => undefined);
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const { error, code } = await ended;
    if (error) throw missingTool('zstd', 'zstd', error);
    if (code !== 0) throw damaged(layer, 'zstd', new Error(stderr.trim() || `exit code ${code}`));
    finished = true;
  } finally {
    if (!finished) child.kill('SIGKILL');
    input.destroy();
  }
}

async function* prepend(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

function damaged(layer: string, format: string, cause: unknown): InvalidError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new InvalidError(`layer ${layer} is not a valid ${format} stream: ${reason}`, {
    cause,
    hint: 'the layer blob is damaged or truncated: remove the image and pull or load it again',
  });
}
