// Path containment, the one answer to "is this path inside that folder". Lexical checks use
// `is-path-inside`; where a symlink could lead out of a folder (anything a request names), the
// real path is compared instead.
import { realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import isPathInside from 'is-path-inside';

/** Absolute, normalised, without a trailing separator (except the root itself). */
export function normDir(p: string): string {
  const r = path.resolve(p);
  return r.length > 1 && r.endsWith(path.sep) ? r.slice(0, -1) : r;
}

/** True when `child` lies strictly below `parent` (lexically). */
export function isInside(child: string, parent: string): boolean {
  return isPathInside(path.resolve(child), path.resolve(parent));
}

/** True when `child` is `parent` itself or lies below it (lexically). */
export function isInsideOrSame(child: string, parent: string): boolean {
  return normDir(child) === normDir(parent) || isInside(child, parent);
}

/** Path of `file` relative to `root`, always '/'-separated (journal keys, glob matching). */
export function relPosix(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Real path of `p`, resolving symlinks of the part that exists (an output may not exist yet). */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync.native(head), ...tail.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return abs;
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/** Whether `p` (symlinks resolved) is one of `roots` or inside one; relative paths and NUL bytes never are. */
export function isWithinRoots(p: string, roots: readonly string[]): boolean {
  if (p.includes('\0') || !path.isAbsolute(p)) return false;
  const real = realPathOf(p);
  return roots.some((r) => isInsideOrSame(real, realPathOf(r)));
}

/**
 * `urlPath` (decoded once) as a file under `root`, or undefined when it would leave it: no '..',
 * no dot-files, no backslashes or NUL bytes. For serving a folder of static files.
 */
export function resolveUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const parts = decoded.split('/').filter((p) => p.length > 0);
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return undefined;
  const file = path.resolve(root, ...parts);
  return isInsideOrSame(file, root) ? file : undefined;
}

async function statOrNull(p: string) {
  try {
    return await fs.stat(p);
  } catch {
    return null;
  }
}

/** True when a and b name the same file (same path, or same inode through links / case folding). */
export async function isSameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [sa, sb] = await Promise.all([statOrNull(a), statOrNull(b)]);
  return !!sa && !!sb && sa.dev === sb.dev && sa.ino === sb.ino;
}

// Folders of the operating system itself: never a place for the studio's outputs.
const SYSTEM_DIRS = ['/etc', '/bin', '/sbin', '/usr', '/lib', '/lib32', '/lib64', '/boot', '/dev', '/proc', '/sys', '/run', '/var/lib', '/System'];

/** Whether `p` is the file-system root or lies in a folder of the operating system. */
export function isSystemFolder(p: string): boolean {
  const abs = path.resolve(p);
  if (path.parse(abs).root === abs) return true;
  const win = process.env.SystemRoot;
  const dirs = win ? [...SYSTEM_DIRS, win] : SYSTEM_DIRS;
  return dirs.some((d) => isInsideOrSame(abs, d));
}
