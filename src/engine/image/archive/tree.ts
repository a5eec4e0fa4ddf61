import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Header, type Pack } from 'tar-stream';

/** ustar keeps owners in 6 octal digits; larger ones go into a PAX record, as GNU tar does. */
const USTAR_MAX_ID = 0o777777;

/**
 * A directory as a layer tar that is the same bytes for the same tree: members sorted
 * by name within each directory (GNU tar's --sort=name), numeric owners without names,
 * modification times to the second and no access times (Docker's archive package drops
 * the same), hard links kept as links. Sockets are skipped: a tar cannot hold them.
 *
 * Extended attributes (file capabilities) are not read: Node has no call for them.
 */
export function packTree(root: string): Readable {
  const pack = tar.pack();
  const links = new Map<string, string>();
  walk(pack, root, '', links).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error as Error),
  );
  return pack as unknown as Readable;
}

async function walk(pack: Pack, root: string, dir: string, links: Map<string, string>) {
  const names = readdirSync(path.join(root, dir)).sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  for (const name of names) {
    const rel = dir ? `${dir}/${name}` : name;
    const full = path.join(root, rel);
    const stat = lstatSync(full);
    const header = headerOf(rel, stat);
    if (stat.isDirectory()) {
      pack.entry({ ...header, name: `${rel}/`, type: 'directory' });
      await walk(pack, root, rel, links);
    } else if (stat.isFile()) {
      const key = `${stat.dev}:${stat.ino}`;
      const first = stat.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        pack.entry({ ...header, type: 'link', linkname: first });
        continue;
      }
      if (stat.nlink > 1) links.set(key, rel);
      await pipeline(
        createReadStream(full),
        pack.entry({ ...header, type: 'file', size: stat.size }),
      );
    } else if (stat.isSymbolicLink()) {
      pack.entry({ ...header, type: 'symlink', linkname: readlinkSync(full) });
    } else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
      const type = stat.isCharacterDevice() ? 'character-device' : 'block-device';
      pack.entry({ ...header, type, ...deviceNumbers(stat.rdev) });
    } else if (stat.isFIFO()) {
      pack.entry({ ...header, type: 'fifo' });
    }
  }
}

function headerOf(name: string, stat: Stats): Header {
  const header = {
    name,
    // The whole st_mode: tar-stream replaces a mode of 0 with its default, the type bits
    // keep it non-zero, and only the permission bits are written.
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    uname: '',
    gname: '',
    mtime: new Date(Math.floor(stat.mtimeMs / 1000) * 1000),
  } as Header;
  if (stat.uid > USTAR_MAX_ID || stat.gid > USTAR_MAX_ID)
    header.pax = { uid: String(stat.uid), gid: String(stat.gid) };
  return header;
}

/** Linux's encoding of a device number (glibc's gnu_dev_major and gnu_dev_minor). */
function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  const dev = BigInt(rdev);
  return {
    devmajor: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n)),
    devminor: Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n)),
  };
}
