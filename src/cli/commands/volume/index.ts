import type { CommandGroup } from '../../context.js';

/** `tscompose volume …`: each command loads only when used. */
export const volumeGroup: CommandGroup = {
  summary: 'Manage volumes: create, list, inspect, remove, prune',
  commands: {
    create: async () => (await import('./create.js')).volumeCreateCommand,
    ls: async () => (await import('./ls.js')).volumeLsCommand,
    inspect: async () => (await import('./inspect.js')).volumeInspectCommand,
    rm: async () => (await import('./rm.js')).volumeRmCommand,
    prune: async () => (await import('./rm.js')).volumePruneCommand,
  },
};
