import { CredentialStore, dockerConfigFile } from '../engine/registry/index.js';
import type { CommandContext } from './context.js';

/** Docker's credential store: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function credentialStore(ctx: CommandContext): CredentialStore {
  return new CredentialStore(
    dockerConfigFile({ DOCKER_CONFIG: ctx.environment.DOCKER_CONFIG, HOME: ctx.homeDir }),
  );
}

/** Registries that may be spoken to over plain HTTP besides loopback: TSCOMPOSE_INSECURE_REGISTRIES. */
export function insecureRegistries(ctx: CommandContext): string[] {
  return (ctx.environment.TSCOMPOSE_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
