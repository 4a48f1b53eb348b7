import path from 'node:path';
import type { z } from 'zod';
import { isWithinRoots, realPathOf } from '../base/paths';
import { StudioError } from '../contract/errors';
import { isOpaqueSchema, isPathSchema } from '../contract/paths';

// Over HTTP any local page could try to make the studio read or write arbitrary files, so every
// path a call carries must lie inside the studio's own folders (or folders the user allowed
// with --allow-dir). Symlinks are resolved first: a link inside the data dir pointing out of it
// does not get through. Where paths are is read from the method's argument schema (contract/
// paths.ts marks them); only payloads the contract leaves opaque (a preset document) are scanned
// whole, by key names and absolute-looking strings.

/** Keys whose string values are paths in an opaque payload. */
const PATH_KEYS = new Set([
  'path', 'paths', 'input', 'inputs', 'dir', 'dirs', 'folder', 'folders', 'source', 'sources',
  'destination', 'kernel_path', 'root', 'file', 'files', 'image', 'output',
]);
/** camelCase names like outputsDir, outDir, imagePath, defaultPath. */
const PATH_SUFFIX = /[a-z](Path|Paths|Dir|Dirs)$/;

function isPathKey(key: string): boolean {
  return PATH_KEYS.has(key) || PATH_SUFFIX.test(key);
}

function isAbsoluteAnywhere(s: string): boolean {
  return path.isAbsolute(s) || /^[a-zA-Z]:[\\/]/.test(s) || s.startsWith('\\\\') || s.startsWith('~');
}

export class PathGuard {
  private readonly fixed: string[];
  private allowed: string[] = [];
  constructor(roots: string[]) {
    this.fixed = roots.map(realPathOf);
  }

  /** The data folder and --allow-dir folders, then the folders allowed in Settings. */
  get roots(): string[] {
    return [...this.fixed, ...this.allowed];
  }

  /** The folders allowed in Settings (read again before each call: the user may change them). */
  setAllowedFolders(folders: readonly string[]): void {
    this.allowed = folders.map(realPathOf);
  }

  isAllowed(p: string): boolean {
    return isWithinRoots(p, this.roots);
  }

  /** Throws E_PATH_NOT_ALLOWED unless `p` is inside one of the roots. */
  check(p: string): void {
    if (!this.isAllowed(p)) {
      throw new StudioError('E_PATH_NOT_ALLOWED', `'${p}' is not in a folder the studio may use. Add its folder in Settings → Allowed folders (or start the server with --allow-dir). Allowed now: ${this.roots.join(', ')}`, { path: p });
    }
  }

  /**
   * Checks every path in a call's (parsed) arguments: the values the schema marks as paths, and
   * everything inside values it marks opaque (see checkArgs).
   */
  checkCall(schema: z.ZodType, value: unknown): void {
    walk(schema, value, 0, {
      path: (p) => {
        if (p.length > 0) this.check(p);
      },
      opaque: (v) => this.checkArgs([v], false),
    });
  }

  /**
   * Scans a payload of unknown shape: any absolute-looking string, and any string under a
   * path-like key (relative paths mean nothing to a server, so they are refused too).
   * `pathMethod`: bare string arguments are paths.
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

interface Visitor {
  path(p: string): void;
  opaque(value: unknown): void;
}

/** zod 4's definition of a schema (the parts walked here). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  valueType?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Visits the values of `value` that `schema` marks as paths or opaque. */
function walk(schema: z.ZodType, value: unknown, depth: number, v: Visitor): void {
  if (depth > 32 || value === undefined || value === null) return;
  if (isPathSchema(schema)) {
    if (typeof value === 'string') v.path(value);
    return;
  }
  if (isOpaqueSchema(schema)) {
    v.opaque(value);
    return;
  }
  const d = defOf(schema);
  switch (d.type) {
    case 'object':
      if (value && typeof value === 'object') for (const [k, s] of Object.entries(d.shape ?? {})) walk(s, (value as Record<string, unknown>)[k], depth + 1, v);
      return;
    case 'array':
      if (Array.isArray(value) && d.element) for (const x of value) walk(d.element, x, depth + 1, v);
      return;
    case 'tuple':
      if (Array.isArray(value)) value.forEach((x, i) => {
        const s = d.items?.[i] ?? d.rest;
        if (s) walk(s, x, depth + 1, v);
      });
      return;
    case 'record':
      if (value && typeof value === 'object' && d.valueType) for (const x of Object.values(value)) walk(d.valueType, x, depth + 1, v);
      return;
    case 'union':
      // Every option the value fits (a discriminated union's one, a plain union's any).
      for (const o of d.options ?? []) if (o.safeParse(value).success) walk(o, value, depth + 1, v);
      return;
    case 'intersection':
      if (d.left) walk(d.left, value, depth + 1, v);
      if (d.right) walk(d.right, value, depth + 1, v);
      return;
    case 'pipe':
      if (d.in) walk(d.in, value, depth + 1, v);
      return;
    case 'lazy':
      if (d.getter) walk(d.getter(), value, depth + 1, v);
      return;
    default:
      if (d.innerType) walk(d.innerType, value, depth + 1, v); // optional, nullable, default, readonly...
  }
}
