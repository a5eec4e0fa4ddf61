import { runTool } from './tools.js';

/*
 * Node can neither make device nodes nor set extended attributes. Both are collected while
 * a layer unpacks and made at its end, each kind with one spawned process: real layers
 * have few of them, and a spawn per file would cost more than the whole layer.
 */

export interface SpecialNode {
  /** Relative to the layer's root; every directory on the way was checked while unpacking. */
  path: string;
  type: 'character-device' | 'block-device' | 'fifo';
  major: number;
  minor: number;
}

/** Commands per spawned shell: far below the kernel's limit on argument size. */
const BATCH = 1000;

export async function makeNodes(root: string, nodes: readonly SpecialNode[]): Promise<void> {
  // One shell per batch runs mknod for each node: mknod makes one node per call.
  const script =
    'while [ "$#" -gt 0 ]; do ' +
    'if [ "$2" = p ]; then mknod -- "$1" p; else mknod -- "$1" "$2" "$3" "$4"; fi || exit 1; ' +
    'shift 4; done';
  for (let start = 0; start < nodes.length; start += BATCH) {
    const args = nodes
      .slice(start, start + BATCH)
      .flatMap((node) => [
        `./${node.path}`,
        node.type === 'fifo' ? 'p' : node.type === 'block-device' ? 'b' : 'c',
        String(node.major),
        String(node.minor),
      ]);
    await runTool('sh', ['-c', script, 'sh', ...args], { package: 'coreutils', cwd: root });
  }
}

/**
 * Sets extended attributes, without following symlinks, through one `setfattr --restore`
 * that reads them in getfattr's dump format.
 */
export async function setXattrs(
  root: string,
  xattrs: ReadonlyMap<string, ReadonlyMap<string, Buffer>>,
): Promise<void> {
  if (xattrs.size === 0) return;
  let dump = '';
  for (const [file, values] of xattrs) {
    dump += `# file: ${escapeDumpName(file === '' ? '.' : `./${file}`)}\n`;
    for (const [name, value] of values)
      dump += `${escapeDumpName(name)}=0s${value.toString('base64')}\n`;
    dump += '\n';
  }
  await runTool('setfattr', ['-h', '--restore=-'], { package: 'attr', cwd: root, input: dump });
}

/** getfattr's quoting: any byte may be written as a backslash and three octal digits. */
function escapeDumpName(name: string): string {
  let escaped = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const safe = /[A-Za-z0-9._/+@-]/.test(String.fromCharCode(byte));
    escaped += safe ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return escaped;
}
