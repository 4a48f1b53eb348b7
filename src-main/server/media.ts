import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaKind } from '../contract/bridge';
import { parseMediaSize } from '../contract/media';
import type { MediaService } from '../service/media';
import { BASE_HEADERS } from './respond';
import type { PathGuard } from './path-guard';

// GET /media/<kind>/<id>?w=&i=[&download=1]: the HTTP door of service/media (library originals,
// previews and thumbnails, job outputs), so the browser never needs file:// and never sees a
// format it cannot show. Over HTTP a file must also lie in the folders the server may reach.

export interface MediaDeps {
  media: MediaService;
  guard: PathGuard;
}

export function createMediaRoute(deps: MediaDeps) {
  return async function handleMedia(req: IncomingMessage, res: ServerResponse, kind: MediaKind, id: string, query: URLSearchParams): Promise<void> {
    const { w, i } = parseMediaSize(kind, query.get('w'), query.get('i'));
    const a = await deps.media.get({ kind, id, i, ...(w !== undefined ? { w } : {}), download: query.get('download') === '1' }, (f) => deps.guard.check(f));
    const headers = { ...BASE_HEADERS, ETag: a.etag, 'Cache-Control': 'private, no-cache' };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (a.kind === 'bytes') {
      res.writeHead(200, { ...headers, 'Content-Type': a.type, 'Content-Length': a.body.length });
      res.end(req.method === 'HEAD' ? undefined : a.body);
      return;
    }
    const download =
      a.type === 'application/octet-stream'
        ? { 'Content-Disposition': `attachment; filename="${path.basename(a.file).replace(/[^\w.\- ()]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(path.basename(a.file))}` }
        : {};
    res.writeHead(200, { ...headers, 'Content-Type': a.type, 'Content-Length': a.size, ...download });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(a.file).on('error', () => res.destroy()).pipe(res);
  };
}
