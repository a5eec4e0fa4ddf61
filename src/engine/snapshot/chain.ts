import { createHash } from 'node:crypto';
import { checkDigest } from '../store/digest.js';

/**
 * Chain IDs name a layer together with every layer below it, as the OCI image spec
 * defines them: the same diff on a different parent is a different snapshot.
 * chainid(L0) = diffid(L0); chainid(Ln) = sha256(chainid(Ln-1) + " " + diffid(Ln)).
 */
export function chainIdOf(parent: string | undefined, diffId: string): string {
  checkDigest(diffId, 'diff_id');
  if (parent === undefined) return diffId;
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/** The chain ID of each layer, bottom layer first, from the config's `rootfs.diff_ids`. */
export function chainIds(diffIds: readonly string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) chain.push(chainIdOf(chain.at(-1), diffId));
  return chain;
}
