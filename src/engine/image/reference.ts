import { InvalidError } from '../../errors.js';

/** An image reference, normalised as Docker does: `busybox` is docker.io/library/busybox:latest. */
export interface Reference {
  /** Registry host, with port: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path: `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/;

/** Parses `name[:tag][@digest]`; a reference with neither tag nor digest gets `latest`. */
export function parseReference(text: string, { defaultTag = true } = {}): Reference {
  const invalid = (why: string) =>
    new InvalidError(`invalid image reference "${text}": ${why}`, {
      hint: 'write NAME[:TAG][@sha256:DIGEST], for example busybox:1.36 or 127.0.0.1:5000/team/app:dev',
    });

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid('the digest must be sha256: and 64 hex characters');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let domain = DOCKER_HUB;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) throw invalid(`"${domain}" is not a valid registry host`);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (parts.length === 0 || parts.some((part) => !COMPONENT.test(part))) {
    throw invalid('repository names use lower-case letters, digits and separators (. _ -)');
  }
  if (domain === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  if (!tag && !digest && defaultTag) tag = 'latest';
  return { domain, path: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised reference: `docker.io/library/busybox:latest`. */
export function formatReference(ref: Reference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** As people write it: `busybox:latest`, `team/app:dev`, `127.0.0.1:5000/app:dev`. */
export function familiarName(ref: Reference): string {
  let name = repositoryName(ref);
  if (ref.domain === DOCKER_HUB) {
    name = ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
  }
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The host the registry API answers on: Docker Hub's differs from its name. */
export function registryHost(domain: string): string {
  return domain === DOCKER_HUB ? 'registry-1.docker.io' : domain;
}
