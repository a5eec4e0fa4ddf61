import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidError, UnsupportedError } from '../../errors.js';
import { runTool } from './tools.js';

export interface OverlaySpec {
  /** Top layer first, as overlay's `lowerdir` lists them. */
  lowerDirs: readonly string[];
  /** Both or neither. Without them the mount is read-only. */
  upperDir?: string;
  workDir?: string;
  target: string;
  /**
   * The directory the paths in the options are relative to (the mount runs there). By
   * default the deepest directory that holds every lower directory's parent: for
   * snapshots, the snapshots root, which makes each lower directory `<short>/fs`.
   */
  cwd?: string;
  /** What /proc/mounts shows as the source: a label that says whose mount it is. */
  source?: string;
}

/**
 * The legacy mount(2) call copies at most one page of options, its NUL included; what
 * does not fit is cut off, and the mount fails or, worse, stacks fewer layers.
 */
export const MOUNT_OPTIONS_LIMIT = 4096;
/** Overlayfs stacks at most this many lower directories (OVL_MAX_STACK). */
export const MAX_LOWER_DIRS = 500;

/** The options string for an overlay, and the directory it must be mounted from. */
export function overlayOptions(spec: OverlaySpec): { cwd: string; options: string } {
  const { lowerDirs, upperDir, workDir } = spec;
  if (lowerDirs.length === 0) {
    throw new InvalidError(`an overlay on ${spec.target} needs at least one lower directory`, {
      hint: 'an image without layers has no root file system to mount',
    });
  }
  if ((upperDir === undefined) !== (workDir === undefined)) {
    throw new InvalidError(`an overlay on ${spec.target} needs both an upper and a work directory`);
  }
  if (lowerDirs.length > MAX_LOWER_DIRS) {
    throw new UnsupportedError(
      `an overlay of ${lowerDirs.length} layers is more than overlayfs stacks (${MAX_LOWER_DIRS})`,
      { hint: 'squash some of the image’s layers' },
    );
  }
  const cwd = spec.cwd ?? commonDir(lowerDirs.map((dir) => path.dirname(dir)));
  const short = (dir: string) => shorten(cwd, dir);
  const parts = [`lowerdir=${lowerDirs.map(short).join(':')}`];
  if (upperDir !== undefined && workDir !== undefined) {
    parts.push(`upperdir=${short(upperDir)}`, `workdir=${short(workDir)}`);
  }
  const options = parts.join(',');
  const bytes = Buffer.byteLength(options) + 1;
  if (bytes > MOUNT_OPTIONS_LIMIT) {
    throw new UnsupportedError(
      `the overlay of ${lowerDirs.length} layers on ${spec.target} needs ${bytes} bytes of mount options, more than the kernel takes (${MOUNT_OPTIONS_LIMIT})`,
      { hint: 'use a shorter TSCOMPOSE_ROOT, or squash some of the image’s layers' },
    );
  }
  return { cwd, options };
}

/**
 * Mounts an overlay of `lowerDirs` (and the upper directory, if any) on `target`. Without
 * an upper directory it is read-only; a single lower directory is then bind-mounted
 * read-only, since overlayfs wants two lowers when there is no upper.
 */
export async function mountOverlay(spec: OverlaySpec): Promise<void> {
  const source = spec.source ?? 'overlay';
  if (spec.upperDir === undefined && spec.workDir === undefined && spec.lowerDirs.length === 1) {
    const lower = checkPath(spec.lowerDirs[0]!);
    await runTool('mount', ['--bind', '-o', 'ro', lower, spec.target], { package: 'mount' });
    return;
  }
  const { cwd, options } = overlayOptions(spec);
  const flags = spec.upperDir === undefined ? `ro,${options}` : options;
  await runTool('mount', ['-t', 'overlay', '-o', flags, source, spec.target], {
    package: 'mount',
    cwd,
  });
}

/** Unmounts `target`; false if nothing was mounted there. */
export async function unmount(target: string): Promise<boolean> {
  if (!isMounted(target)) return false;
  await runTool('umount', [target], { package: 'mount' });
  return true;
}

/** Whether something is mounted on `target`, from this process's mount table. */
export function isMounted(target: string): boolean {
  const wanted = path.resolve(target);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === wanted);
}

/** A path relative to `cwd` when it lies inside it, else absolute; refused if unsafe. */
function shorten(cwd: string, dir: string): string {
  const full = checkPath(dir);
  const relative = path.relative(cwd, full);
  return relative !== '' && !relative.startsWith('..') ? relative : full;
}

/** Overlay splits its options at `,` and lower directories at `:`; a `\` escapes them. */
function checkPath(dir: string): string {
  if (!path.isAbsolute(dir) || /[,:\\\n]/.test(dir)) {
    throw new InvalidError(`cannot mount an overlay with the directory "${dir}"`, {
      hint: 'overlay directories must be absolute paths without "," ":" or "\\"; check TSCOMPOSE_ROOT',
    });
  }
  return path.resolve(dir);
}

function commonDir(dirs: readonly string[]): string {
  let common = path.resolve(dirs[0]!).split(path.sep);
  for (const dir of dirs.slice(1)) {
    const parts = path.resolve(dir).split(path.sep);
    let i = 0;
    while (i < common.length && common[i] === parts[i]) i += 1;
    common = common.slice(0, i);
  }
  return common.join(path.sep) || path.sep;
}

/** /proc/self/mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}
