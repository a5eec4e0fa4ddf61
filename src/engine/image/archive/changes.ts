import { constants } from 'node:os';
import path from 'node:path';
import { InvalidError } from '../../../errors.js';
import type { ImageRunConfig } from '../types.js';
import { expandWord, jsonList, splitWords } from './words.js';

type Apply = (config: ImageRunConfig, rest: string, state: { cmdSet: boolean }) => void;

/**
 * The Dockerfile instructions `docker import --change` and `docker commit --change`
 * accept, each applied as a Dockerfile applies it to the image config.
 */
const INSTRUCTIONS: Record<string, Apply> = {
  CMD: (config, rest, state) => {
    config.Cmd = command(rest, config);
    state.cmdSet = true;
  },
  ENTRYPOINT: (config, rest, state) => {
    config.Entrypoint = command(rest, config);
    // As in a Dockerfile: a new entrypoint drops a CMD that this image did not set.
    if (!state.cmdSet) config.Cmd = null;
  },
  ENV: (config, rest) => {
    const env = [...(config.Env ?? [])];
    for (const [name, value] of pairs(rest, env)) {
      const at = env.findIndex((entry) => entry.split('=')[0] === name);
      if (at >= 0) env[at] = `${name}=${value}`;
      else env.push(`${name}=${value}`);
    }
    config.Env = env;
  },
  LABEL: (config, rest) => {
    config.Labels = { ...config.Labels, ...Object.fromEntries(pairs(rest, config.Env ?? [])) };
  },
  EXPOSE: (config, rest) => {
    const ports = { ...config.ExposedPorts };
    for (const word of words(rest, config)) for (const port of exposed(word)) ports[port] = {};
    config.ExposedPorts = ports;
  },
  USER: (config, rest) => {
    config.User = one(rest, config);
  },
  WORKDIR: (config, rest) => {
    config.WorkingDir = path.posix.resolve(config.WorkingDir || '/', one(rest, config));
  },
  VOLUME: (config, rest) => {
    const list = jsonList(rest) ?? words(rest, config);
    if (list.length === 0 || list.some((volume) => volume.trim() === '')) {
      throw new Error('VOLUME needs at least one path, and no empty ones');
    }
    config.Volumes = { ...config.Volumes, ...Object.fromEntries(list.map((v) => [v, {}])) };
  },
  STOPSIGNAL: (config, rest) => {
    config.StopSignal = signal(one(rest, config));
  },
  ONBUILD: (config, rest) => {
    const trigger = /^\S+/.exec(rest)?.[0]?.toUpperCase();
    if (trigger === 'ONBUILD' || trigger === 'FROM' || trigger === 'MAINTAINER') {
      throw new Error(`${trigger} is not allowed as an ONBUILD trigger`);
    }
    config.OnBuild = [...(config.OnBuild ?? []), rest];
  },
  HEALTHCHECK: (config, rest) => {
    config.Healthcheck = healthcheck(rest);
  },
};

/** The instructions `changes` may use, for help texts. */
export const CHANGE_INSTRUCTIONS = Object.keys(INSTRUCTIONS);

/**
 * Applies `--change` instructions (`CMD ["sh"]`, `ENV A=1`, …) in order to a copy of
 * `base`. An instruction Docker does not allow here, or one it would refuse, is an
 * InvalidError that quotes it.
 */
export function applyChanges(
  changes: readonly string[],
  base: ImageRunConfig = {},
): ImageRunConfig {
  const config: ImageRunConfig = structuredClone(base);
  const state = { cmdSet: false };
  for (const change of changes) {
    const match = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(change);
    const name = match?.[1]?.toUpperCase();
    const apply = name === undefined ? undefined : INSTRUCTIONS[name];
    if (!apply) {
      throw new InvalidError(
        name === undefined
          ? 'an empty --change instruction'
          : `unknown --change instruction ${match![1]} in "${change}"`,
        { hint: `use one of ${CHANGE_INSTRUCTIONS.join(', ')}` },
      );
    }
    const rest = match![2]!;
    try {
      if (rest === '') throw new Error(`${name} needs an argument`);
      apply(config, rest, state);
    } catch (cause) {
      if (cause instanceof InvalidError) throw cause;
      throw new InvalidError(`invalid --change "${change}": ${(cause as Error).message}`, {
        cause,
        hint: 'write it as in a Dockerfile, for example CMD ["sh"] or ENV PATH=/usr/bin',
      });
    }
  }
  return config;
}

/** Exec form as written; shell form through the image's shell (`/bin/sh -c` by default). */
function command(rest: string, config: ImageRunConfig): string[] {
  return jsonList(rest) ?? [...(config.Shell ?? ['/bin/sh', '-c']), rest];
}

function words(rest: string, config: ImageRunConfig): string[] {
  return splitWords(rest).map((word) => expandWord(word, config.Env ?? []));
}

function one(rest: string, config: ImageRunConfig): string {
  return expandWord(rest, config.Env ?? []);
}

/** `NAME=value …`, or the old `NAME value with spaces` form of ENV and LABEL. */
function pairs(rest: string, env: readonly string[]): [string, string][] {
  const list = splitWords(rest);
  if (!list[0]!.includes('=')) {
    const value = rest.slice(rest.indexOf(list[0]!) + list[0]!.length).trim();
    if (!value) throw new Error(`${list[0]} has no value: write NAME=VALUE`);
    return [[expandWord(list[0]!, env), expandWord(value, env)]];
  }
  return list.map((word) => {
    const at = word.indexOf('=');
    if (at <= 0) throw new Error(`"${word}" is not NAME=VALUE`);
    return [expandWord(word.slice(0, at), env), expandWord(word.slice(at + 1), env)];
  });
}

/** `80`, `53/udp`, `8000-8002/tcp` as the `port/proto` keys of ExposedPorts. */
function exposed(word: string): string[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
  if (!match) throw new Error(`"${word}" is not a port: write PORT[/PROTO] or FROM-TO[/PROTO]`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (first < 1 || last > 65535 || last < first) throw new Error(`"${word}" is not a port range`);
  const proto = (match[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto}`);
}

/** A signal as Docker accepts one: `SIGTERM`, `TERM` or a number; kept as written. */
function signal(text: string): string {
  const name = text.toUpperCase().startsWith('SIG')
    ? text.toUpperCase()
    : `SIG${text.toUpperCase()}`;
  const number = /^\d+$/.test(text) ? Number(text) : undefined;
  const known =
    number !== undefined
      ? number > 0 && number <= 64
      : name in constants.signals || /^SIGRTM(?:IN|AX)(?:[+-]\d+)?$/.test(name);
  if (!known) throw new Error(`"${text}" is not a signal`);
  return text;
}

/** `HEALTHCHECK [--interval=30s …] CMD …` or `HEALTHCHECK NONE`; durations in nanoseconds. */
function healthcheck(rest: string): NonNullable<ImageRunConfig['Healthcheck']> {
  if (/^NONE$/i.test(rest)) return { Test: ['NONE'] };
  const check: NonNullable<ImageRunConfig['Healthcheck']> = {};
  let text = rest;
  for (
    let flag = /^--([a-z-]+)=(\S+)\s*/.exec(text);
    flag;
    flag = /^--([a-z-]+)=(\S+)\s*/.exec(text)
  ) {
    const [, name, value] = flag;
    if (name === 'retries') check.Retries = Number(value);
    else if (name === 'interval') check.Interval = duration(value!);
    else if (name === 'timeout') check.Timeout = duration(value!);
    else if (name === 'start-period') check.StartPeriod = duration(value!);
    else throw new Error(`unknown HEALTHCHECK flag --${name}`);
    text = text.slice(flag[0].length);
  }
  const cmd = /^CMD\s+([\s\S]+)$/i.exec(text);
  if (!cmd) throw new Error('HEALTHCHECK needs CMD followed by a command, or NONE');
  const exec = jsonList(cmd[1]!);
  check.Test = exec ? ['CMD', ...exec] : ['CMD-SHELL', cmd[1]!];
  return check;
}

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A Go duration (`30s`, `1m30s`, `500ms`) in nanoseconds. */
function duration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`"${text}" is not a duration such as 30s or 1m30s`);
  }
  return Math.round(parts.reduce((total, [, n, unit]) => total + Number(n) * UNITS[unit!]!, 0));
}
