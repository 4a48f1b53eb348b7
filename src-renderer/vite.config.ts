import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../src-main/contract/csp';

const root = fileURLToPath(new URL('.', import.meta.url));

// The studio's one CSP as a meta tag too (the dev server sends no header); both front doors also
// send it as a header. frame-ancestors only works as a header, so the meta leaves it out.
const cspMeta = {
  name: 'studio-csp',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: {
        'http-equiv': 'Content-Security-Policy',
        content: CONTENT_SECURITY_POLICY.split('; ')
          .filter((d) => !d.startsWith('frame-ancestors'))
          .join('; '),
      },
      injectTo: 'head-prepend' as const,
    },
  ],
};

// One renderer for both doors: served by `studio serve` and loaded by the Electron window.
export default defineConfig({
  root,
  base: './',
  plugins: [cspMeta, svelte()],
  build: {
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
});
