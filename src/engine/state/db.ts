import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens the engine's database, creating and migrating it as needed. WAL lets the CLI,
 * the keeper and the TUI read while one of them writes; writers wait for each other
 * (busy timeout) instead of failing.
 */
export function openDatabase(file: string): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new RuntimeError(
      `the state database is at version ${current}, newer than this tscompose knows (${MIGRATIONS.length})`,
      { hint: 'use the newer tscompose that wrote it, or a TSCOMPOSE_ROOT of its own' },
    );
  }
  // BEGIN IMMEDIATE: two processes starting at once must not both run the same migration.
  const run = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i += 1) {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    }
  });
  if (current < MIGRATIONS.length) run.immediate();
}

export function now(): string {
  return new Date().toISOString();
}
