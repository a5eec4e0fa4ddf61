import type { CommandGroup } from '../../context.js';

/** `tscompose image …`: each command loads only when used. */
export const imageGroup: CommandGroup = {
  summary: 'Manage images: list, inspect, tag, remove, import, load, save, bootstrap',
  commands: {
    ls: async () => (await import('./ls.js')).lsCommand,
    inspect: async () => (await import('./inspect.js')).inspectCommand,
    tag: async () => (await import('./tag.js')).tagCommand,
    rm: async () => (await import('./rm.js')).rmCommand,
    prune: async () => (await import('./prune.js')).pruneCommand,
    import: async () => (await import('./import.js')).importCommand,
    load: async () => (await import('./load.js')).loadCommand,
    save: async () => (await import('./save.js')).saveCommand,
    bootstrap: async () => (await import('./bootstrap.js')).bootstrapCommand,
    pull: async () => (await import('./pull.js')).imagePullCommand,
    push: async () => (await import('./push.js')).imagePushCommand,
  },
};
