import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StudioError, toErrorPayload } from '../contract/errors';
import type { MediaKind } from '../contract/bridge';
import { parseMediaSize } from '../contract/media';
import { passthroughType, renderForScreen, ScreenCache } from '../imaging/screen';
import type { StudioApi } from '../contract/api';
import { BASE_HEADERS } from './respond';
import type { PathGuard } from './path-guard';

// Images for <img>: library originals, previews and thumbnails, and job outputs, all made by
// sharp here so the browser never needs file:// and never sees a format it cannot show.

export interface MediaDeps {
  api: StudioApi;
  guard: PathGuard;
}

export function createMediaRoute(deps: MediaDeps) {
  const cache = new ScreenCache(96 * 1024 * 1024);

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
    const { w, i: index } = parseMediaSize(kind, query.get('w'), query.get('i'));

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

    const passType = passthroughType(file);
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
        out = await renderForScreen(file, w, kind === 'thumb');
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
