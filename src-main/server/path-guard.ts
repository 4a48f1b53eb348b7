import { realpathSync } from 'node:fs';
import path from 'node:path';
import { StudioError } from '../contract/errors';

// Over HTTP any local page could try to make the studio read or write arbitrary files, so every
// path a call carries must lie inside the studio's own folders (or folders the user allowed
// with --allow-dir). Symlinks are resolved first: a link inside the data dir pointing out of it
// does not get through.

/** Keys whose string values are paths in any contract payload (present and future domains). */
const PATH_KEYS = new Set([
  'path', 'paths', 'input', 'inputs', 'dir', 'dirs', 'folder', 'folders', 'source', 'sources',
  'destination', 'kernel_path', 'root', 'file', 'files', 'image', 'output',
]);
/** camelCase names like outputsDir, outDir, imagePath, defaultPath. */
const PATH_SUFFIX = /[a-z](Path|Paths|Dir|Dirs)$/;

function isPathKey(key: string): boolean {
  return PATH_KEYS.has(key) || PATH_SUFFIX.test(key);
}

/** Real path of `p`, resolving symlinks of the part that exists (outputs may not exist yet). */
function realish(p: string): string {
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

function isAbsoluteAnywhere(s: string): boolean {
  return path.isAbsolute(s) || /^[a-zA-Z]:[\\/]/.test(s) || s.startsWith('\\\\') || s.startsWith('~');
}

export class PathGuard {
  readonly roots: string[];
  constructor(roots: string[]) {
    this.roots = roots.map(realish);
  }

  isAllowed(p: string): boolean {
    if (p.includes('\0') || !path.isAbsolute(p)) return false;
    const real = realish(p);
    return this.roots.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
  }

  /** Throws E_PATH_NOT_ALLOWED unless `p` is inside one of the roots. */
  check(p: string): void {
    if (!this.isAllowed(p)) {
      throw new StudioError('E_PATH_NOT_ALLOWED', `'${p}' is outside the studio's folders; in server mode only the data folder${this.roots.length > 1 ? ' and the folders given with --allow-dir' : ''} can be used`, { path: p });
    }
  }

  /**
   * Checks every path in a call's arguments: any absolute-looking string, and any string under
   * a path-like key (relative paths mean nothing to a server, so they are refused too).
   * `pathMethod` marks methods whose bare string arguments are paths (library.addPaths).
   */
  checkArgs(args: readonly unknown[], pathMethod: boolean): void {
    const visit = (v: unknown, key: string | undefined, depth: number): void => {
      if (depth > 8) return;
      if (typeof v === 'string') {
        const pathy = key === undefined ? pathMethod : isPathKey(key);
        if (isAbsoluteAnywhere(v) || (pathy && v.length > 0)) this.check(v);
        // JSON documents passed as text (presets.import) are checked like objects.
        else if (/^\s*[[{]/.test(v) && v.length < 5_000_000) {
          let doc: unknown;
          try {
            doc = JSON.parse(v);
          } catch {
            return;
          }
          visit(doc, undefined, depth + 1);
        }
        return;
      }
      if (Array.isArray(v)) {
        for (const x of v) visit(x, key, depth + 1);
        return;
      }
      if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) visit(x, k, depth + 1);
      }
    };
    for (const a of args) visit(a, undefined, 0);
  }
}
