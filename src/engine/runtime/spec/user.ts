import { InvalidError, NotFoundError } from '../../../errors.js';
import { parseGroup, parsePasswd, readRootfsFile } from './passwd.js';
import type { GroupEntry, PasswdEntry } from './passwd.js';

/** Who the container's process runs as, with the home directory its HOME defaults to. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary gid first, then the user's groups, then `group_add`, as Docker lists them. */
  additionalGids: number[];
  home: string;
}

/** The largest id Linux takes (libcontainer/user's range check). */
const MAX_ID = 2 ** 31 - 1;

/** What an image says about its users; undefined where it has no such file. */
export interface UserDatabase {
  passwd?: PasswdEntry[];
  group?: GroupEntry[];
}

export function readUserDatabase(rootfs: string): UserDatabase {
  const passwd = readRootfsFile(rootfs, '/etc/passwd');
  const group = readRootfsFile(rootfs, '/etc/group');
  return {
    passwd: passwd === undefined ? undefined : parsePasswd(passwd),
    group: group === undefined ? undefined : parseGroup(group),
  };
}

/**
 * Resolves `user` (`name|uid[:group|gid]`, empty for root) as runc's libcontainer/user does
 * for Docker: a numeric user is a uid whether or not passwd lists it (its gid is then 0
 * unless given); a name must be in passwd. Without an explicit group, the user's gid is
 * passwd's and its supplementary groups are those of /etc/group that list it by name.
 */
export function resolveUser(
  user: string,
  groupAdd: readonly string[],
  db: UserDatabase,
): ResolvedUser {
  const [userArg = '', groupArg = ''] = user.split(':');
  const uidArg = parseId(userArg, 'uid');
  const gidArg = parseId(groupArg, 'gid');

  const entry = (db.passwd ?? []).find((candidate) =>
    userArg === ''
      ? candidate.uid === 0
      : uidArg !== undefined
        ? candidate.uid === uidArg
        : candidate.name === userArg,
  );
  if (entry === undefined && userArg !== '' && uidArg === undefined) {
    throw new NotFoundError(
      `unable to find user ${userArg}: no matching entries in the image's /etc/passwd`,
      { hint: missingHint(db.passwd, '/etc/passwd', `user: "1000:1000"`) },
    );
  }
  const uid = entry?.uid ?? uidArg ?? 0;
  let gid = entry?.gid ?? 0;
  let groups: number[] = [];

  if (groupArg !== '') {
    const group = (db.group ?? []).find((candidate) =>
      gidArg !== undefined ? candidate.gid === gidArg : candidate.name === groupArg,
    );
    if (group === undefined && gidArg === undefined) {
      throw new NotFoundError(
        `unable to find group ${groupArg}: no matching entries in the image's /etc/group`,
        { hint: missingHint(db.group, '/etc/group', `user: "${userArg || 0}:1000"`) },
      );
    }
    gid = group?.gid ?? gidArg ?? 0;
  } else if (entry !== undefined) {
    groups = (db.group ?? [])
      .filter((group) => group.members.includes(entry.name))
      .map((group) => group.gid);
  }

  const added = groupAdd.map((name) => resolveGroup(name, db));
  return {
    uid,
    gid,
    additionalGids: unique([gid, ...groups, ...added]),
    home: homeOf(uid, db),
  };
}

/** A `group_add` entry: a group name or gid of the image, or any gid. */
function resolveGroup(name: string, db: UserDatabase): number {
  const group = (db.group ?? []).find((g) => g.name === name || String(g.gid) === name);
  if (group !== undefined) return group.gid;
  const gid = parseId(name, 'gid');
  if (gid === undefined) {
    throw new NotFoundError(
      `unable to find group ${name}: no matching entries in the image's /etc/group`,
      { hint: missingHint(db.group, '/etc/group', `group_add: ["1000"]`) },
    );
  }
  return gid;
}

/** HOME as runc sets it: the home of the first passwd entry with the uid, else `/`. */
function homeOf(uid: number, db: UserDatabase): string {
  const home = (db.passwd ?? []).find((entry) => entry.uid === uid)?.home;
  return home === undefined || home === '' ? '/' : home;
}

/** A numeric id (as Go's Atoi reads one), checked for range; undefined for a name. */
function parseId(text: string, what: 'uid' | 'gid'): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const id = Number(text);
  if (id < 0 || id > MAX_ID) {
    throw new InvalidError(`${what} ${text} is out of range`, {
      hint: `a ${what} is a number from 0 to ${MAX_ID}`,
    });
  }
  return id;
}

function missingHint(
  entries: readonly unknown[] | undefined,
  file: string,
  example: string,
): string {
  return entries === undefined
    ? `the image has no ${file}: use numeric ids (${example})`
    : `add the entry to the image's ${file}, or use numeric ids (${example})`;
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}
