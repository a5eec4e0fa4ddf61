/**
 * What a service means, read from the output of a compose `config` command, whichever
 * version of Compose printed it. Docker Compose 1.29 and Compose v2 (which tscompose
 * follows) print the same project in different forms; each difference of form is undone
 * here, with a comment, so that only differences of meaning remain:
 *
 * - 1.29 prints a port with a host address as a string (`127.0.0.1:8080:3000/tcp`, and an
 *   IPv6 address without brackets: `::1:9229:9229/tcp`), other ports as mappings with a
 *   numeric `published` and no `protocol` for TCP; v2 prints every port as a mapping with
 *   `published` as a string and `protocol: tcp`.
 * - 1.29 prints a volume in short syntax (`dbdata:/data:rw`, `/abs/file:/etc/file:ro`)
 *   unless it was written long; v2 prints every volume long.
 * - 1.29 keeps `command`, `entrypoint` and a healthcheck `test` written as one string; v2
 *   splits a command as a shell would and makes a string test `["CMD-SHELL", test]`, which
 *   is what 1.29 does too when it runs the container.
 * - 1.29 prints durations as written or as seconds (`90s`); v2 as Go does (`1m30s`).
 * - `depends_on` is compared by condition: `required` and `restart` do not exist in 1.29.
 */

type Plain = Record<string, unknown>;

export interface PortMeaning {
  host_ip?: string;
  published?: string;
  target: number;
  protocol: string;
}

export interface VolumeMeaning {
  type: string;
  source?: string;
  target: string;
  read_only: boolean;
}

export interface HealthcheckMeaning {
  test?: string[];
  /** Durations in milliseconds. */
  interval?: number;
  timeout?: number;
  start_period?: number;
  retries?: number;
}

export interface ServiceMeaning {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string | null>;
  ports: PortMeaning[];
  volumes: VolumeMeaning[];
  depends_on: Record<string, string>;
  healthcheck?: HealthcheckMeaning;
}

export function serviceMeanings(config: Plain): Record<string, ServiceMeaning> {
  const services = (config.services ?? {}) as Record<string, Plain>;
  return Object.fromEntries(
    Object.entries(services).map(([name, service]) => [name, serviceMeaning(service)]),
  );
}

function serviceMeaning(service: Plain): ServiceMeaning {
  const meaning: ServiceMeaning = {
    environment: environmentOf(service.environment),
    // The order of published ports carries no meaning; the order of mounts does.
    ports: ((service.ports ?? []) as unknown[]).map(portOf).sort(comparePorts),
    volumes: ((service.volumes ?? []) as unknown[]).map(volumeOf),
    depends_on: conditionsOf(service.depends_on),
  };
  if (typeof service.image === 'string') meaning.image = service.image;
  if (service.command !== undefined) meaning.command = argv(service.command);
  if (service.entrypoint !== undefined) meaning.entrypoint = argv(service.entrypoint);
  if (service.healthcheck !== undefined) meaning.healthcheck = healthcheckOf(service.healthcheck);
  return meaning;
}

function environmentOf(value: unknown): Record<string, string | null> {
  if (value === undefined || value === null) return {};
  const entries = Array.isArray(value)
    ? value.map((item: string) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, null] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(value as Plain).map(([key, item]) => [
        key,
        item === null ? null : String(item),
      ]);
  return Object.fromEntries(entries);
}

function portOf(value: unknown): PortMeaning {
  if (typeof value === 'string') return portFromString(value);
  const port = value as Plain;
  const meaning: PortMeaning = {
    target: Number(port.target),
    protocol: typeof port.protocol === 'string' ? port.protocol : 'tcp',
  };
  if (port.host_ip) meaning.host_ip = String(port.host_ip);
  if (port.published !== undefined && port.published !== '') {
    meaning.published = String(port.published);
  }
  return meaning;
}

/** `[host_ip:][published:]target[/protocol]`, the host address possibly IPv6 and unbracketed. */
function portFromString(text: string): PortMeaning {
  const [address = '', protocol = 'tcp'] = text.split('/');
  const parts = address.split(':');
  const meaning: PortMeaning = { target: Number(parts.pop()), protocol };
  const published = parts.pop();
  if (published) meaning.published = published;
  const hostIp = parts.join(':').replace(/^\[(.*)\]$/, '$1');
  if (hostIp) meaning.host_ip = hostIp;
  return meaning;
}

function comparePorts(a: PortMeaning, b: PortMeaning): number {
  const key = (port: PortMeaning): string =>
    [port.target, port.protocol, port.host_ip ?? '', port.published ?? ''].join(' ');
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function volumeOf(value: unknown): VolumeMeaning {
  if (typeof value === 'string') return volumeFromString(value);
  const volume = value as Plain;
  const meaning: VolumeMeaning = {
    type: String(volume.type),
    target: String(volume.target),
    read_only: volume.read_only === true,
  };
  if (volume.source !== undefined) meaning.source = String(volume.source);
  return meaning;
}

/** `[source:]target[:mode]`: a source that is a path makes a bind mount, a name a volume. */
function volumeFromString(text: string): VolumeMeaning {
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', target: text, read_only: false };
  const [source = '', target = '', mode = ''] = parts;
  const isPath = /^[./~]/.test(source);
  return {
    type: isPath ? 'bind' : 'volume',
    source,
    target,
    read_only: mode.split(',').includes('ro'),
  };
}

function conditionsOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((name: string) => [name, 'service_started']));
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, Plain>).map(([name, dep]) => [
      name,
      String(dep.condition ?? 'service_started'),
    ]),
  );
}

function healthcheckOf(value: unknown): HealthcheckMeaning {
  const check = value as Plain;
  const meaning: HealthcheckMeaning = {};
  if (check.disable === true) meaning.test = ['NONE'];
  else if (typeof check.test === 'string') meaning.test = ['CMD-SHELL', check.test];
  else if (Array.isArray(check.test)) meaning.test = check.test.map(String);
  for (const key of ['interval', 'timeout', 'start_period'] as const) {
    if (check[key] !== undefined) meaning[key] = milliseconds(check[key]);
  }
  if (check.retries !== undefined) meaning.retries = Number(check.retries);
  return meaning;
}

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  ns: 1e-6,
};

/** `1m30s`, `90s`, `500ms`: Go's duration syntax, which both versions accept and print. */
function milliseconds(value: unknown): number {
  const text = String(value);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`not a duration: ${JSON.stringify(value)}`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0);
}

/** A command as a list of arguments: a string is split as a POSIX shell would split it. */
function argv(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return shellSplit(String(value));
}

function shellSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = '';
      else if (quote === '"' && char === '\\' && '"\\$`'.includes(text[i + 1] ?? '')) {
        word += text[++i] ?? '';
      } else word += char;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (char === "'" || char === '"') quote = char;
      else if (char === '\\') word += text[++i] ?? '';
      else word += char;
    }
  }
  if (quote) throw new Error(`unterminated quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}
