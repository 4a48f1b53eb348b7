import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { webTypeOf } from '../base/image-types';
import { resolveUnder } from '../base/paths';
import { CONTENT_SECURITY_POLICY } from '../contract/csp';
import { BASE_HEADERS } from './respond';

// The built renderer (out/renderer). Only files under the root are served: the URL path is
// decoded once, normalised, and must stay inside the root; dot-files and odd bytes are refused.

/** The page's Content-Security-Policy: the studio's one (contract/csp). */
export const CSP = CONTENT_SECURITY_POLICY;

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Loupe Studio</title>
<body>
<h1>Loupe Studio</h1>
<p>The studio's interface has not been built yet. Run <code>npm run build:renderer</code> and reload.</p>
<p>The API is up: <code>POST /api/call/app.info</code>.</p></body>`;

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': type, 'Content-Security-Policy': CSP, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Maps a URL path to a file under root, or undefined if it tries to leave it. */
export const resolveStatic = resolveUnder;

export function createStaticRoute(root: string) {
  return async function handleStatic(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...BASE_HEADERS, Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const wanted = urlPath === '/' || urlPath === '' ? '/index.html' : urlPath;
    const file = resolveStatic(root, wanted);
    if (!file) return sendText(res, 404, 'not found');
    let st;
    try {
      st = await stat(file);
    } catch {
      if (wanted === '/index.html') return sendText(res, 200, NOT_BUILT, 'text/html; charset=utf-8');
      return sendText(res, 404, 'not found');
    }
    if (!st.isFile()) return sendText(res, 404, 'not found');
    // Vite puts content hashes in asset names: those can be cached for good; index.html never.
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': webTypeOf(file),
      'Content-Length': st.size,
      'Content-Security-Policy': CSP,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
}
