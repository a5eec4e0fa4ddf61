import { createHash, type Hash } from 'node:crypto';
import { InvalidError } from '../../errors.js';

const SHA256 = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): boolean {
  return SHA256.test(value);
}

/** Refuses anything but a well-formed sha256 digest: it becomes part of a file path. */
export function checkDigest(value: string, what = 'digest'): string {
  if (!isDigest(value)) {
    throw new InvalidError(`invalid ${what} "${value}"`, {
      hint: 'a digest looks like sha256: followed by 64 lower-case hex characters',
    });
  }
  return value;
}

export function digestOf(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function newHash(): Hash {
  return createHash('sha256');
}

export function hexOf(digest: string): string {
  return checkDigest(digest).slice('sha256:'.length);
}
