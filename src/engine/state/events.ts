import { now, type Db } from './db.js';

export interface EngineEvent {
  id: number;
  time: string;
  type: 'image' | 'container' | 'network' | 'volume';
  /** create, start, die, stop, kill, pause, unpause, destroy, health_status… */
  action: string;
  /** The container's or image's ID. */
  subject: string;
  project: string | null;
  data: Record<string, unknown>;
}

interface Row {
  id: number;
  time: string;
  type: EngineEvent['type'];
  action: string;
  subject: string;
  project: string | null;
  data: string | null;
}

/** Appends to the event log every process shares: `tscompose events` reads it. */
export function recordEvent(db: Db, event: Omit<EngineEvent, 'id' | 'time'>): void {
  db.prepare(
    'INSERT INTO events (time, type, action, subject, project, data) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(now(), event.type, event.action, event.subject, event.project, JSON.stringify(event.data));
}

/** Events after `afterId` (0: from the start), oldest first; of one project if given. */
export function eventsAfter(db: Db, afterId: number, project?: string): EngineEvent[] {
  const rows = (
    project === undefined
      ? db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id').all(afterId)
      : db
          .prepare('SELECT * FROM events WHERE id > ? AND project = ? ORDER BY id')
          .all(afterId, project)
  ) as Row[];
  return rows.map((row) => ({
    ...row,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : {},
  }));
}

/** The newest event's ID: where a follower starts. */
export function lastEventId(db: Db): number {
  const row = db.prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null };
  return row.id ?? 0;
}
