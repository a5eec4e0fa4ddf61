import { DEFAULT_ROOT, DEFAULT_RUN_ROOT, Engine } from '../engine/engine.js';
import { ImageRepository } from '../engine/image/repository.js';
import { parsePlatform } from '../engine/image/platform.js';
import type { Platform } from '../engine/image/types.js';
import { stringValue } from './args.js';
import type { CommandContext } from './context.js';

/** The engine's settings from the environment, read here and nowhere deeper. */
export function engineOptions(environment: Record<string, string>) {
  return {
    root: environment.TSCOMPOSE_ROOT || DEFAULT_ROOT,
    runRoot: environment.TSCOMPOSE_RUN_ROOT || DEFAULT_RUN_ROOT,
    // TSCOMPOSE_SUBNET_POOL=10.90.0.0/16,10.91.0.0/16: where networks take their subnets,
    // and TSCOMPOSE_SUBNET_POOL6=fd12:3456::/48 where IPv6 networks take theirs.
    subnetPool: cidrList(environment.TSCOMPOSE_SUBNET_POOL),
    subnetPool6: cidrList(environment.TSCOMPOSE_SUBNET_POOL6),
  };
}

function cidrList(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  return text
    .split(',')
    .map((cidr) => cidr.trim())
    .filter(Boolean);
}

/** `--platform linux/arm64`, else `DOCKER_DEFAULT_PLATFORM`, else the host's (undefined). */
export function platformOption(ctx: CommandContext): Platform | undefined {
  const text = stringValue(ctx.args.values.platform) || ctx.environment.DOCKER_DEFAULT_PLATFORM;
  return text ? parsePlatform(text) : undefined;
}

export function withEngine<T>(
  ctx: CommandContext,
  use: (engine: Engine, images: ImageRepository) => Promise<T>,
): Promise<T> {
  const engine = Engine.open(engineOptions(ctx.environment));
  const images = new ImageRepository(engine.db, engine.store);
  return use(engine, images).finally(() => engine.close());
}
