import type { EdgeKind } from './types.js';

const SHORT: Record<EdgeKind, string> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed',
  network_mode: 'network',
  volumes_from: 'volumes',
  links: 'links',
  ipc: 'ipc',
  pid: 'pid',
};

/** The condition in the few letters a drawing has room for: `healthy`, not `service_healthy`. */
export function shortCondition(kind: EdgeKind): string {
  return SHORT[kind];
}
