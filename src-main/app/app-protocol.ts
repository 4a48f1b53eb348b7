import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { webTypeOf } from '../base/image-types';
import { isInside } from '../base/paths';
import { APP_HOST, CONTENT_SECURITY_POLICY } from './security';

// studio-app://app/<file>: the built renderer (out/renderer), served with the CSP as a real
// response header. Only files under the renderer folder; no directory listing, no '..'.

const BASE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
};

function notFound(status = 404): Response {
  return new Response(null, { status, headers: BASE_HEADERS });
}

/** `studio-app://app/assets/x.js` -> the absolute file under root, or undefined if it escapes. */
export function resolveAppFile(root: string, url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.host !== APP_HOST) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
  return isInside(file, root) ? file : undefined;
}

export function createAppProtocolHandler(root: string): (request: Request) => Promise<Response> {
  const absRoot = path.resolve(root);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return notFound(405);
    const file = resolveAppFile(absRoot, request.url);
    if (!file) return notFound();
    try {
      const st = await stat(file);
      if (!st.isFile()) return notFound();
      const body = request.method === 'HEAD' ? null : await readFile(file);
      const type = webTypeOf(file);
      return new Response(body, { status: 200, headers: { ...BASE_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-cache' } });
    } catch {
      return notFound();
    }
  };
}
