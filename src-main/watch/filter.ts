import picomatch from 'picomatch';
import { isInsideOrSame, relPosix } from '../base/paths';

/**
 * Names a photo studio's folders are full of that are never photos to process: partial
 * downloads and copies, Office/Adobe lock files, Finder/Explorer metadata, editor backups.
 */
const TEMP_NAME = /^(~\$|\.~|~)|(\.(part|partial|crdownload|download|tmp|temp|swp|lock)|~)$/i;
const SYSTEM_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini', '$recycle.bin', '@eadir', '__macosx']);

/** Hidden (dotfile), temporary or system file/folder names. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || TEMP_NAME.test(name) || SYSTEM_NAMES.has(name.toLowerCase());
}

export interface FilterOptions {
  recursive: boolean;
  include: string[];
  exclude: string[];
  /** Folders never looked into (output roots of watches, the studio's data folder). */
  excludedDirs: () => readonly string[];
}

export interface FileFilter {
  /** Whether the folder may hold files to process (chokidar descends only into those). */
  dir(absPath: string): boolean;
  /** Whether a file is to be processed. */
  file(absPath: string): boolean;
}

export function createFileFilter(source: string, opts: FilterOptions): FileFilter {
  const mo = { nocase: true, dot: false };
  // A bare pattern like '*.jpg' means "anywhere" when recursive, as users expect.
  const expand = (g: string) => (opts.recursive && !g.includes('/') ? [g, `**/${g}`] : [g]);
  const inc = picomatch(opts.include.flatMap(expand), mo);
  const exc = opts.exclude.length ? picomatch(opts.exclude.flatMap(expand), mo) : () => false;
  const excDir = opts.exclude.length ? picomatch(opts.exclude.flatMap(expand).map((g) => g.replace(/\/\*\*$/, '')), mo) : () => false;

  function segmentsOk(rel: string): boolean {
    return rel.split('/').every((s) => !isIgnoredName(s));
  }
  function outside(absPath: string): boolean {
    return !opts.excludedDirs().some((d) => isInsideOrSame(absPath, d));
  }
  return {
    dir(absPath) {
      const rel = relPosix(source, absPath);
      if (rel === '') return true;
      if (rel.startsWith('..')) return false;
      if (!opts.recursive) return false;
      return segmentsOk(rel) && outside(absPath) && !excDir(rel);
    },
    file(absPath) {
      const rel = relPosix(source, absPath);
      if (rel === '' || rel.startsWith('..')) return false;
      if (!opts.recursive && rel.includes('/')) return false;
      return segmentsOk(rel) && outside(absPath) && inc(rel) && !exc(rel);
    },
  };
}
