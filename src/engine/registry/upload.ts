import { closeSync, openSync, readSync } from 'node:fs';
import { InvalidError, RuntimeError } from '../../errors.js';
import type { Descriptor } from '../image/types.js';
import type { ContentStore } from '../store/content.js';
import type { RegistryClient } from './client.js';
import { registryError } from './errors.js';

export interface BlobUpload {
  client: RegistryClient;
  store: ContentStore;
  repository: string;
  descriptor: Descriptor;
  scope: readonly string[];
  /** Other repositories of this registry known to hold the blob: candidates for a mount. */
  origins: readonly string[];
  chunkThreshold: number;
  chunkSize: number;
  onBytes: (current: number) => void;
}

export type UploadOutcome = 'exists' | 'mounted' | 'uploaded';

const OCTETS = { 'content-type': 'application/octet-stream' };

/**
 * One blob to the registry (distribution spec, "Pushing blobs"): a HEAD first, since most
 * layers of most pushes are already there; a cross-repository mount when another
 * repository on the registry has it; else an upload session, finished by one PUT for a
 * small blob or fed in PATCH chunks for a large one.
 */
export async function uploadBlob(job: BlobUpload): Promise<UploadOutcome> {
  const { client, descriptor, repository } = job;
  const what = `blob ${descriptor.digest} of ${repository}`;
  const blobPath = `/v2/${repository}/blobs/${descriptor.digest}`;
  const head = await client.request(blobPath, { method: 'HEAD', scope: job.scope, what });
  if (head.ok) return 'exists';
  if (head.status !== 404) throw await registryError(head, what);

  const session = await startSession(job, what);
  if (session === 'mounted') return 'mounted';
  const finish = new URL(
    descriptor.size > job.chunkThreshold ? await sendChunks(job, session, what) : session,
  );
  finish.searchParams.set('digest', descriptor.digest);
  const small = descriptor.size <= job.chunkThreshold;
  const response = await client.request(finish, {
    method: 'PUT',
    scope: job.scope,
    what,
    headers: OCTETS,
    body: small ? job.store.read(descriptor.digest) : Buffer.alloc(0),
  });
  if (response.status !== 201) throw await registryError(response, what);
  await response.body?.cancel();
  const stored = response.headers.get('docker-content-digest');
  if (stored && stored !== descriptor.digest) {
    throw new InvalidError(`${what}: the registry stored it as ${stored}`, {
      hint: 'the blob changed in transit; push again',
    });
  }
  job.onBytes(descriptor.size);
  return 'uploaded';
}

/** POST to the uploads endpoint: a mount if an origin is known, else a new session URL. */
async function startSession(job: BlobUpload, what: string): Promise<URL | 'mounted'> {
  const uploads = `/v2/${job.repository}/blobs/uploads/`;
  const origin = job.origins.find((repository) => repository !== job.repository);
  const target = origin
    ? `${uploads}?${new URLSearchParams({ mount: job.descriptor.digest, from: origin })}`
    : uploads;
  const response = await job.client.request(target, {
    method: 'POST',
    // A mount needs pull rights on the repository it reads from.
    scope: origin ? [...job.scope, `repository:${origin}:pull`] : job.scope,
    what,
    body: Buffer.alloc(0),
  });
  await response.body?.cancel();
  // 201: mounted. 202: the registry would not mount (or cannot) and opened a session.
  if (origin && response.status === 201) return 'mounted';
  if (response.status !== 202) throw await registryError(response, what);
  return location(response, job.client.base, what);
}

/** Sends the blob in PATCH chunks; returns the session URL to finish with a PUT. */
async function sendChunks(job: BlobUpload, session: URL, what: string): Promise<URL> {
  const fd = openSync(job.store.blobPath(job.descriptor.digest), 'r');
  try {
    let url = session;
    const buffer = Buffer.alloc(Math.min(job.chunkSize, job.descriptor.size));
    for (let start = 0; start < job.descriptor.size;) {
      const length = readSync(fd, buffer, 0, buffer.length, start);
      if (length === 0) throw new RuntimeError(`${what}: the blob in the store is truncated`);
      const end = start + length - 1;
      const response = await job.client.request(url, {
        method: 'PATCH',
        scope: job.scope,
        what,
        headers: { ...OCTETS, 'content-range': `${start}-${end}` },
        body: buffer.subarray(0, length),
      });
      await response.body?.cancel();
      if (response.status !== 202) throw await registryError(response, what);
      url = location(response, url, what);
      start = end + 1;
      job.onBytes(start);
    }
    return url;
  } finally {
    closeSync(fd);
  }
}

/** Each answer names the URL of the next step; it may be relative (distribution spec). */
function location(response: Response, base: URL, what: string): URL {
  const value = response.headers.get('location');
  if (!value) throw new RuntimeError(`${what}: the registry sent no upload location`);
  return new URL(value, base);
}
