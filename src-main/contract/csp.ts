import { MEDIA_SCHEME } from './bridge';

/**
 * The one Content-Security-Policy of the studio's page, wherever it is served from: the HTTP
 * server, the desktop's studio-app:// protocol and (as a meta tag, for the dev server) the built
 * index.html. Starts from nothing; the page's own code, styles and images, the media protocol.
 * Svelte sets style attributes at run time, so inline styles are allowed; inline scripts never.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  `media-src 'self' blob: ${MEDIA_SCHEME}:`,
  "font-src 'self' data:",
  `connect-src 'self' ${MEDIA_SCHEME}:`,
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
