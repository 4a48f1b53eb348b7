import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StudioApi } from '../contract/api';
import { MediaKind } from '../contract/desktop';
import { StudioError, toErrorPayload, type ErrorCode } from '../contract/errors';
import { parseMediaSize } from '../contract/media';
import { passthroughType, renderForScreen, ScreenCache } from '../imaging/screen';
import { APP_ORIGIN } from './security';

// studio-media://<kind>/<id>[?w=<px>][&i=<n>]: library originals, previews and thumbnails, and
// job outputs for <img>. A file is served only if the studio knows it (a library item or a
// recorded job output) AND it lies in an allowed place; previews are made by sharp, so the page
// never needs file:// URLs or relaxed web security.

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
  return { kind: kind.data, id, ...parseMediaSize(kind.data, u.searchParams.get('w'), u.searchParams.get('i')) };
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
  const cache = new ScreenCache(96 * 1024 * 1024);

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
    const passType = passthroughType(file);
    if (req.w === undefined && passType) {
      const body = request.method === 'HEAD' ? null : await readFile(file);
      return new Response(body, { headers: { ...HEADERS, 'Content-Type': passType, 'Content-Length': String(st.size) } });
    }
    const key = `${file}|${st.size}|${st.mtimeMs}|${req.kind}|${req.w ?? 0}`;
    let out = cache.get(key);
    if (!out) {
      try {
        out = await renderForScreen(file, req.w, req.kind === 'thumb');
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
