import path from 'node:path';

/** Absolute, normalised, without a trailing separator (except the root itself). */
export function normDir(p: string): string {
  const r = path.resolve(p);
  return r.length > 1 && r.endsWith(path.sep) ? r.slice(0, -1) : r;
}

/** True when `child` is `parent` itself or lies below it. */
export function isInsideOrSame(child: string, parent: string): boolean {
  const rel = path.relative(normDir(parent), normDir(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Path of `file` relative to `root`, always '/'-separated (journal keys, glob matching). */
export function relPosix(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
