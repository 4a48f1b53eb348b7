import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isWithinRoots } from '../base/paths';
import type { StudioApi } from '../contract/api';
import { MediaKind } from '../contract/desktop';
import { httpStatusOf, StudioError, toErrorPayload } from '../contract/errors';
import { parseMediaSize } from '../contract/media';
import { mediaSourceOf, MediaService, type MediaRequest } from '../service/media';
import { APP_ORIGIN } from './security';

// studio-media://<kind>/<id>[?w=<px>][&i=<n>]: the desktop door of service/media (library
// originals, previews and thumbnails, job outputs for <img>), so the page never needs file://
// URLs or relaxed web security.

export type MediaApi = Pick<StudioApi, 'library.list' | 'jobs.get'>;

export type { MediaRequest };

export interface MediaDeps {
  api: MediaApi;
  /** Folders whose files may be shown besides exact library originals (outputs, cache, library folder). */
  roots(): readonly string[];
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
  try {
    await realpath(file);
  } catch {
    return false;
  }
  return exact.some((e) => path.resolve(e) === path.resolve(file)) || isWithinRoots(file, roots);
}

const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // The page (studio-app://app) may read pixels back, e.g. for the loupe's canvas.
  'Access-Control-Allow-Origin': APP_ORIGIN,
};

/** studio-media:// over the one media service (service/media): a StudioService's own, or one over any API. */
export function createMediaHandler(deps: MediaDeps | { media: MediaService }): (request: Request) => Promise<Response> {
  const media = 'media' in deps ? deps.media : new MediaService(mediaSourceOf(deps.api, deps.roots));

  async function serve(request: Request): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new StudioError('E_INVALID_ARGUMENT', 'media is read-only');
    const a = await media.get(parseMediaUrl(request.url));
    const head = request.method === 'HEAD';
    if (a.kind === 'file') {
      return new Response(head ? null : await readFile(a.file), { headers: { ...HEADERS, 'Content-Type': a.type, 'Content-Length': String(a.size) } });
    }
    return new Response(head ? null : new Uint8Array(a.body), { headers: { ...HEADERS, 'Content-Type': a.type, 'Content-Length': String(a.body.length) } });
  }

  return async (request) => {
    try {
      return await serve(request);
    } catch (err) {
      const error = toErrorPayload(err);
      return new Response(JSON.stringify({ ok: false, error }), {
        status: httpStatusOf(error.code),
        headers: { ...HEADERS, 'Content-Type': 'application/json' },
      });
    }
  };
}
