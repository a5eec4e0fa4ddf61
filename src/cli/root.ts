import { PermissionError } from '../errors.js';

/**
 * The integrated engine's commands need root: namespaces, mounts and cgroups. Kept apart
 * from the stack helpers so that a command which only needs this (the keeper) does not
 * load the planner with them.
 */
export function requireRoot(): void {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    throw new PermissionError('the integrated engine needs root', {
      hint: 'run tscompose as root (sudo tscompose …); rootless mode is planned',
    });
  }
}
