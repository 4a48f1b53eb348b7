import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StudioError, toErrorPayload } from '../contract/errors';
import { probeImage, renderPreview } from '../imaging';
import type { StudioApi } from '../contract/api';
import { BASE_HEADERS } from './respond';
import type { PathGuard } from './path-guard';

// Images for <img>: library originals, previews and thumbnails, and job outputs, all made by
// sharp here so the browser never needs file:// and never sees a format it cannot show.

export type MediaKind = 'original' | 'preview' | 'thumb' | 'output';
export const MEDIA_KINDS: readonly MediaKind[] = ['original', 'preview', 'thumb', 'output'];

const DEFAULT_SIDE: Record<MediaKind, number | undefined> = { original: undefined, output: undefined, preview: 2048, thumb: 320 };
const MAX_SIDE = 8192;
/** Formats a browser shows as they are (EXIF orientation is applied by the browser itself). */
const PASSTHROUGH: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.avif': 'image/avif',
};

interface Rendered {
  body: Buffer;
  type: string;
}

/** Small LRU of rendered previews, bounded in bytes; keyed by file identity and size asked. */
class RenderCache {
  private map = new Map<string, Rendered>();
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

/** Full size is still bounded: the browser never gets more than this on a side. */
const FULL_SIDE = 16384;

async function render(file: string, maxSide: number | undefined, kind: MediaKind): Promise<Rendered> {
  // Upright, sRGB, 8-bit (imaging.renderPreview); PNG keeps transparency, JPEG otherwise.
  const { hasAlpha } = await probeImage(file);
  const format = hasAlpha ? 'png' : 'jpeg';
  const body = await renderPreview(file, { maxSide: maxSide ?? FULL_SIDE, format, quality: kind === 'thumb' ? 82 : 92 });
  return { body, type: hasAlpha ? 'image/png' : 'image/jpeg' };
}

export interface MediaDeps {
  api: StudioApi;
  guard: PathGuard;
}

export function createMediaRoute(deps: MediaDeps) {
  const cache = new RenderCache(96 * 1024 * 1024);

  async function resolveFile(kind: MediaKind, id: string, index: number): Promise<string> {
    if (kind === 'output') {
      const job = await deps.api['jobs.get'](id);
      const file = job.outputs[index];
      if (!file) throw new StudioError('E_NOT_FOUND', `job ${id} has no output #${index}`, { jobId: id });
      return file;
    }
    const item = (await deps.api['library.list']()).find((x) => x.id === id);
    if (!item) throw new StudioError('E_NOT_FOUND', `no image with id '${id}' in the library`, { id });
    return item.path;
  }

  return async function handleMedia(req: IncomingMessage, res: ServerResponse, kind: MediaKind, id: string, query: URLSearchParams): Promise<void> {
    const wParam = query.get('w');
    const iParam = query.get('i');
    const w = wParam === null ? DEFAULT_SIDE[kind] : Number(wParam);
    const index = iParam === null ? 0 : Number(iParam);
    if (w !== undefined && (!Number.isInteger(w) || w < 16 || w > MAX_SIDE)) {
      throw new StudioError('E_INVALID_ARGUMENT', `w must be an integer between 16 and ${MAX_SIDE}`);
    }
    if (!Number.isInteger(index) || index < 0 || index > 1000) throw new StudioError('E_INVALID_ARGUMENT', 'i must be a small integer');

    const file = await resolveFile(kind, id, index);
    deps.guard.check(file);
    let st;
    try {
      st = await stat(file);
    } catch {
      throw new StudioError('E_FILE_NOT_FOUND', `the file of '${id}' is gone from disk`, { id });
    }
    const key = `${file}|${st.size}|${st.mtimeMs}|${kind}|${w ?? 0}|${query.get('download') === '1' ? 'dl' : ''}`;
    const etag = `"${createHash('sha1').update(key).digest('base64url')}"`;
    const headers = { ...BASE_HEADERS, ETag: etag, 'Cache-Control': 'private, no-cache' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }

    // ?download=1: the file exactly as written, for "Save as" in the browser.
    if (kind === 'output' && query.get('download') === '1') {
      const name = path.basename(file).replace(/[^\w.\- ()]/g, '_');
      res.writeHead(200, {
        ...headers,
        'Content-Type': 'application/octet-stream',
        'Content-Length': st.size,
        'Content-Disposition': `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(path.basename(file))}`,
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
      return;
    }

    const passType = PASSTHROUGH[path.extname(file).toLowerCase()];
    if (w === undefined && passType) {
      res.writeHead(200, { ...headers, 'Content-Type': passType, 'Content-Length': st.size });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
      return;
    }

    let out = cache.get(key);
    if (!out) {
      try {
        out = await render(file, w, kind);
      } catch (err) {
        const p = toErrorPayload(err);
        throw new StudioError(p.code === 'E_INTERNAL' ? 'E_UNSUPPORTED_FORMAT' : p.code, `cannot show '${path.basename(file)}': ${p.message}`);
      }
      cache.set(key, out);
    }
    res.writeHead(200, { ...headers, 'Content-Type': out.type, 'Content-Length': out.body.length });
    res.end(req.method === 'HEAD' ? undefined : out.body);
  };
}
