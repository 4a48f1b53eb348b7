import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { StudioApi } from '../contract/api';
import { MediaKind } from '../contract/desktop';
import { StudioError, toErrorPayload, type ErrorCode } from '../contract/errors';
import { APP_ORIGIN } from './security';

// studio-media://<kind>/<id>[?w=<px>][&i=<n>]: library originals, previews and thumbnails, and
// job outputs for <img>. A file is served only if the studio knows it (a library item or a
// recorded job output) AND it lies in an allowed place; previews are made by sharp, so the page
// never needs file:// or webSecurity:false.

export type MediaApi = Pick<StudioApi, 'library.list' | 'jobs.get'>;

export interface MediaDeps {
  api: MediaApi;
  /** Folders whose files may be shown besides exact library originals (outputs, cache, library folder). */
  roots(): readonly string[];
}

export interface MediaRequest {
  kind: MediaKind;
  id: string;
  w?: number;
  i: number;
}

const DEFAULT_SIDE: Record<MediaKind, number | undefined> = { original: undefined, output: undefined, preview: 2048, thumb: 320 };
const MAX_SIDE = 8192;
const PASSTHROUGH: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
};

export function parseMediaUrl(url: string): MediaRequest {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StudioError('E_INVALID_ARGUMENT', 'not a media URL');
  }
  const kind = MediaKind.safeParse(u.host.toLowerCase());
  if (!kind.success) throw new StudioError('E_INVALID_ARGUMENT', `unknown media kind '${u.host}'`);
  let id: string;
  try {
    id = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  } catch {
    throw new StudioError('E_INVALID_ARGUMENT', 'malformed media id');
  }
  if (!id || id.length > 200 || id.includes('\0')) throw new StudioError('E_INVALID_ARGUMENT', 'malformed media id');
  const wParam = u.searchParams.get('w');
  const iParam = u.searchParams.get('i');
  const w = wParam === null ? DEFAULT_SIDE[kind.data] : Number(wParam);
  const i = iParam === null ? 0 : Number(iParam);
  if (w !== undefined && (!Number.isInteger(w) || w < 16 || w > MAX_SIDE)) {
    throw new StudioError('E_INVALID_ARGUMENT', `w must be an integer between 16 and ${MAX_SIDE}`);
  }
  if (!Number.isInteger(i) || i < 0 || i > 1000) throw new StudioError('E_INVALID_ARGUMENT', 'i must be a small integer');
  return w === undefined ? { kind: kind.data, id, i } : { kind: kind.data, id, w, i };
}

/** True if `file` (symlinks resolved) is one of `exact` or inside one of `roots`. */
export async function isAllowedFile(file: string, exact: readonly string[], roots: readonly string[]): Promise<boolean> {
  if (!path.isAbsolute(file) || file.includes('\0')) return false;
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return false;
  }
  const abs = path.resolve(file);
  if (exact.some((e) => path.resolve(e) === abs)) return true;
  for (const root of roots) {
    const r = await realpath(root).catch(() => undefined);
    if (!r) continue;
    const rel = path.relative(r, real);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return true;
  }
  return false;
}

interface Rendered {
  body: Buffer;
  type: string;
}

/** Rendered previews, bounded in bytes, most recently used last. */
class RenderCache {
  private readonly map = new Map<string, Rendered>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}
  get(key: string): Rendered | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: Rendered): void {
    if (v.body.length > this.maxBytes / 4) return;
    this.map.set(key, v);
    this.bytes += v.body.length;
    for (const [k, old] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= old.body.length;
    }
  }
}

async function render(file: string, maxSide: number | undefined, thumb: boolean): Promise<Rendered> {
  const img = sharp(file, { failOn: 'none', limitInputPixels: 1_000_000_000, autoOrient: true });
  const meta = await img.metadata();
  let pipeline = img;
  if (maxSide) pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  if (meta.hasAlpha) return { body: await pipeline.png({ compressionLevel: thumb ? 6 : 3 }).toBuffer(), type: 'image/png' };
  return {
    body: await pipeline.jpeg({ quality: thumb ? 82 : 92, chromaSubsampling: thumb ? '4:2:0' : '4:4:4' }).toBuffer(),
    type: 'image/jpeg',
  };
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  E_INVALID_ARGUMENT: 400,
  E_NOT_FOUND: 404,
  E_FILE_NOT_FOUND: 404,
  E_PATH_NOT_ALLOWED: 403,
  E_UNSUPPORTED_FORMAT: 415,
};

const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // The page (studio-app://app) may read pixels back, e.g. for the loupe's canvas.
  'Access-Control-Allow-Origin': APP_ORIGIN,
};

export function createMediaHandler(deps: MediaDeps): (request: Request) => Promise<Response> {
  const cache = new RenderCache(96 * 1024 * 1024);

  async function resolveFile(req: MediaRequest): Promise<string> {
    let file: string | undefined;
    let allowed: boolean;
    if (req.kind === 'output') {
      // An output is shown only from the studio's folders or the folder its job was asked to
      // write to: a job record pointing elsewhere (a tampered journal) is refused.
      const job = await deps.api['jobs.get'](req.id);
      file = job.outputs[req.i];
      if (!file) throw new StudioError('E_NOT_FOUND', `job ${req.id} has no output #${req.i}`, { jobId: req.id });
      const dir = job.request.output?.dir;
      allowed = await isAllowedFile(file, [], dir ? [...deps.roots(), dir] : deps.roots());
    } else {
      // Originals stay where the user keeps them: exactly the registered file, nothing next to it.
      const item = (await deps.api['library.list']()).find((x) => x.id === req.id);
      if (!item) throw new StudioError('E_NOT_FOUND', `no image with id '${req.id}' in the library`, { id: req.id });
      file = item.path;
      allowed = await isAllowedFile(file, [item.path], deps.roots());
    }
    if (!allowed) {
      throw new StudioError('E_PATH_NOT_ALLOWED', `'${path.basename(file)}' is not in a folder the studio may show`);
    }
    return file;
  }

  async function serve(request: Request): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new StudioError('E_INVALID_ARGUMENT', 'media is read-only');
    const req = parseMediaUrl(request.url);
    const file = await resolveFile(req);
    const st = await stat(file).catch(() => {
      throw new StudioError('E_FILE_NOT_FOUND', `the file of '${req.id}' is gone from disk`, { id: req.id });
    });
    const passType = PASSTHROUGH[path.extname(file).toLowerCase()];
    if (req.w === undefined && passType) {
      const body = request.method === 'HEAD' ? null : await readFile(file);
      return new Response(body, { headers: { ...HEADERS, 'Content-Type': passType, 'Content-Length': String(st.size) } });
    }
    const key = `${file}|${st.size}|${st.mtimeMs}|${req.kind}|${req.w ?? 0}`;
    let out = cache.get(key);
    if (!out) {
      try {
        out = await render(file, req.w, req.kind === 'thumb');
      } catch (err) {
        throw new StudioError('E_UNSUPPORTED_FORMAT', `cannot show '${path.basename(file)}': ${err instanceof Error ? err.message : String(err)}`);
      }
      cache.set(key, out);
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(out.body), {
      headers: { ...HEADERS, 'Content-Type': out.type, 'Content-Length': String(out.body.length) },
    });
  }

  return async (request) => {
    try {
      return await serve(request);
    } catch (err) {
      const error = toErrorPayload(err);
      return new Response(JSON.stringify({ ok: false, error }), {
        status: STATUS[error.code] ?? 500,
        headers: { ...HEADERS, 'Content-Type': 'application/json' },
      });
    }
  };
}
