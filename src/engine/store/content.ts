import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidError, NotFoundError } from '../../errors.js';
import type { Descriptor } from '../image/types.js';
import { syncDirectory, tempPathFor, writeFileAtomic } from './atomic.js';
import { checkDigest, digestOf, hexOf, newHash } from './digest.js';

export interface Expected {
  digest?: string;
  size?: number;
}

export interface Written {
  digest: string;
  size: number;
}

const LAYOUT_VERSION = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/**
 * The content-addressed store: an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`) that skopeo and umoci can read. A blob appears under its final
 * name only after its digest (and size, when known) was checked.
 */
export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = path.join(dir, 'blobs', 'sha256');
    this.ingestDir = path.join(dir, 'ingest');
  }

  init(): void {
    mkdirSync(this.blobsDir, { recursive: true });
    mkdirSync(this.ingestDir, { recursive: true });
    const layout = path.join(this.dir, 'oci-layout');
    if (!existsSync(layout)) writeFileAtomic(layout, LAYOUT_VERSION);
    const index = path.join(this.dir, 'index.json');
    if (!existsSync(index)) this.writeIndex([]);
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, hexOf(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  size(digest: string): number | undefined {
    try {
      return statSync(this.blobPath(digest)).size;
    } catch {
      return undefined;
    }
  }

  open(digest: string): Readable {
    this.mustHave(digest);
    return createReadStream(this.blobPath(digest));
  }

  read(digest: string): Buffer {
    this.mustHave(digest);
    return readFileSync(this.blobPath(digest));
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.read(digest).toString('utf8')) as T;
  }

  /** Small blobs (manifests, configs): written atomically, checked against `expected`. */
  put(data: Buffer | string, expected: Expected = {}): Written {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    const written = { digest: digestOf(buffer), size: buffer.length };
    checkWritten(written, expected);
    if (!this.has(written.digest)) writeFileAtomic(this.blobPath(written.digest), buffer, 0o444);
    return written;
  }

  putJson(value: unknown): Written {
    return this.put(JSON.stringify(value));
  }

  /** Streams a blob in, hashing as it goes; nothing is kept if the digest or size is wrong. */
  async putStream(
    stream: AsyncIterable<Buffer | string>,
    expected: Expected = {},
  ): Promise<Written> {
    const temp = tempPathFor(path.join(this.ingestDir, 'stream'));
    const ingest = new Ingest(temp, expected, 0, this);
    try {
      for await (const chunk of stream)
        ingest.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      return ingest.commit();
    } catch (error) {
      ingest.discard();
      throw error;
    }
  }

  /**
   * A resumable ingest for a blob whose digest is known: what an interrupted download
   * already wrote is kept in `ingest/` and re-hashed, and the caller continues from
   * `offset` (an HTTP Range request).
   */
  ingest(expected: Required<Pick<Expected, 'digest'>> & Expected): Ingest {
    const file = path.join(this.ingestDir, `${hexOf(expected.digest)}.partial`);
    const offset = existsSync(file) ? statSync(file).size : 0;
    return new Ingest(file, expected, offset, this);
  }

  delete(digest: string): void {
    rmSync(this.blobPath(digest), { force: true });
  }

  list(): string[] {
    return readdirSync(this.blobsDir)
      .filter((name) => /^[a-f0-9]{64}$/.test(name))
      .map((hex) => `sha256:${hex}`);
  }

  /** `index.json`: the tagged manifests, for tools that read OCI layouts. */
  writeIndex(manifests: Descriptor[]): void {
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests,
    };
    writeFileAtomic(path.join(this.dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }

  /** Moves a checked temporary file into place under its digest. */
  adopt(temp: string, digest: string): void {
    const target = this.blobPath(digest);
    if (existsSync(target)) {
      rmSync(temp, { force: true });
      return;
    }
    renameSync(temp, target);
    syncDirectory(this.blobsDir);
  }

  private mustHave(digest: string): void {
    checkDigest(digest);
    if (!this.has(digest)) {
      throw new NotFoundError(`blob ${digest} is not in the store`, {
        hint: 'pull or load the image again',
      });
    }
  }
}

export class Ingest {
  private readonly hash = newHash();
  private fd: number;
  private written: number;

  constructor(
    private readonly file: string,
    private readonly expected: Expected,
    readonly offset: number,
    private readonly store: ContentStore,
  ) {
    this.written = offset;
    if (offset > 0) this.hash.update(readFileSync(file));
    this.fd = openSync(file, offset > 0 ? 'a' : 'w', 0o600);
  }

  write(chunk: Buffer): void {
    this.hash.update(chunk);
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
    this.written += chunk.length;
    if (this.expected.size !== undefined && this.written > this.expected.size) {
      this.discard();
      throw new InvalidError(
        `blob ${this.expected.digest ?? ''} is larger than the ${this.expected.size} bytes announced`.replace(
          '  ',
          ' ',
        ),
        { hint: 'the source sent more data than its manifest says: it may be corrupt' },
      );
    }
  }

  get bytes(): number {
    return this.written;
  }

  /** Checks digest and size; on success the blob is in the store, on failure nothing is kept. */
  commit(): Written {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    const result = { digest: `sha256:${this.hash.digest('hex')}`, size: this.written };
    try {
      checkWritten(result, this.expected);
    } catch (error) {
      rmSync(this.file, { force: true });
      throw error;
    }
    this.store.adopt(this.file, result.digest);
    return result;
  }

  /** Keeps what was written for a later resume (for an interrupted transfer). */
  pause(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  discard(): void {
    this.pause();
    rmSync(this.file, { force: true });
  }
}

function checkWritten(written: Written, expected: Expected): void {
  if (expected.digest && expected.digest !== written.digest) {
    throw new InvalidError(`digest mismatch: expected ${expected.digest}, got ${written.digest}`, {
      hint: 'the data is corrupt or was changed in transit; nothing was stored',
    });
  }
  if (expected.size !== undefined && expected.size !== written.size) {
    throw new InvalidError(
      `size mismatch for ${written.digest}: expected ${expected.size} bytes, got ${written.size}`,
      { hint: 'the data is truncated or corrupt; nothing was stored' },
    );
  }
}
