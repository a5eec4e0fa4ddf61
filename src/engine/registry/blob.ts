import { RuntimeError, TsComposeError } from '../../errors.js';
import type { Descriptor } from '../image/types.js';
import type { ContentStore, Ingest } from '../store/content.js';
import type { RegistryClient } from './client.js';
import { registryError } from './errors.js';

export interface BlobDownload {
  client: RegistryClient;
  store: ContentStore;
  /** Repository path: `team/app`. */
  repository: string;
  descriptor: Descriptor;
  scope: readonly string[];
  /** How often a broken connection is resumed within this call before giving up. */
  retries: number;
  onBytes: (current: number, resumedFrom: number) => void;
}

export interface Downloaded {
  /** Bytes that came over the network in this call. */
  transferred: number;
  /** What an earlier, interrupted download had left in the store's ingest directory. */
  resumedFrom: number;
}

/**
 * Downloads one blob into the store. What an interrupted download left in `ingest/` is
 * re-hashed and continued with a Range request (distribution spec: blob GETs honour
 * Range); a registry that answers 200 instead of 206 gets a fresh start. The blob reaches
 * its final name only when digest and size match; a broken connection keeps the part for
 * the next try, a wrong digest keeps nothing.
 */
export async function downloadBlob(job: BlobDownload): Promise<Downloaded> {
  const { descriptor, repository } = job;
  const what = `blob ${descriptor.digest} of ${repository}`;
  const expected = { digest: descriptor.digest, size: descriptor.size };
  let transferred = 0;
  let resumedFrom: number | undefined;
  for (let attempt = 0; ; attempt += 1) {
    let ingest = job.store.ingest(expected);
    if (ingest.offset > descriptor.size) ingest = restart(job, ingest);
    resumedFrom ??= ingest.offset;
    if (ingest.offset === descriptor.size) {
      ingest.commit();
      return { transferred, resumedFrom };
    }
    const range = ingest.offset > 0 ? { range: `bytes=${ingest.offset}-` } : undefined;
    let response: Response;
    try {
      response = await job.client.request(`/v2/${repository}/blobs/${descriptor.digest}`, {
        scope: job.scope,
        what,
        headers: range,
      });
    } catch (error) {
      ingest.pause();
      throw error;
    }
    if (range && response.status !== 206) {
      if (!response.ok) {
        // 416 and friends: the part we hold is no use to this registry; start over.
        await response.body?.cancel();
        restart(job, ingest).pause();
        continue;
      }
      ingest = restart(job, ingest);
    } else if (range && rangeStart(response) !== ingest.offset) {
      await response.body?.cancel();
      restart(job, ingest).pause();
      continue;
    }
    if (!response.ok || !response.body) {
      ingest.pause();
      throw await registryError(response, what);
    }
    const before = ingest.bytes;
    try {
      for await (const chunk of response.body) {
        ingest.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        job.onBytes(ingest.bytes, resumedFrom);
      }
    } catch (error) {
      // The ingest refused the data (more than announced): it discarded itself already.
      if (error instanceof TsComposeError) throw error;
      ingest.pause();
      transferred += ingest.bytes - before;
      if (job.client.signal?.aborted) throw error;
      if (attempt < job.retries && ingest.bytes > before) continue;
      throw new RuntimeError(
        `${what}: the connection broke after ${ingest.bytes} of ${descriptor.size} bytes`,
        { cause: error, hint: 'pull again: the download resumes where it stopped' },
      );
    }
    transferred += ingest.bytes - before;
    ingest.commit();
    return { transferred, resumedFrom };
  }
}

/** Drops a partial download that cannot be continued and opens a fresh one. */
function restart(job: BlobDownload, ingest: Ingest): Ingest {
  ingest.discard();
  return job.store.ingest({ digest: job.descriptor.digest, size: job.descriptor.size });
}

/** The first byte of a 206 answer: `Content-Range: bytes 100-199/200`. */
function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}
