// Bundles the Electron side with esbuild: main process and engine worker as ESM (npm packages
// stay external and are loaded from node_modules / the asar at run time), the preload as ONE
// CommonJS file with nothing external but 'electron', because a sandboxed preload cannot
// require anything else. `--watch` rebuilds on change.
import { build, context } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Options: --watch, --minify, --out <dir> (instead of out/; used by tests), --only main|preload.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: { watch: { type: 'boolean' }, minify: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' } },
});
const outRoot = path.resolve(opts.out ?? path.join(root, 'out'));
const outMain = path.join(outRoot, 'main');
const outPreload = path.join(outRoot, 'preload');
const watch = opts.watch ?? false;
const minify = opts.minify ?? false;

// The preload's method list comes from the contract maps themselves.
const { studioApi } = await tsImport('../src-main/contract/api.ts', import.meta.url);
const { desktopApi } = await tsImport('../src-main/contract/desktop.ts', import.meta.url);
const methods = { studio: Object.keys(studioApi), desktop: Object.keys(desktopApi) };

/** @type {import('esbuild').BuildOptions[]} */
const all = [
  {
    entryPoints: { app: path.join(root, 'src-main/app/main.ts'), worker: path.join(root, 'src-main/worker/main.ts') },
    outdir: outMain,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    external: ['electron'],
    sourcemap: 'linked',
    minify,
    logLevel: 'warning',
  },
  {
    entryPoints: { preload: path.join(root, 'src-main/preload/index.ts') },
    outdir: outPreload,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    // 'browser' makes any Node built-in that sneaks in a build error instead of a runtime one.
    platform: 'browser',
    format: 'cjs',
    target: 'chrome130',
    external: ['electron'],
    define: { __STUDIO_METHODS__: JSON.stringify(methods) },
    sourcemap: 'inline',
    minify,
    logLevel: 'warning',
  },
];
const targets = opts.only === 'main' ? [all[0]] : opts.only === 'preload' ? [all[1]] : all;

async function main() {
  if (watch) {
    for (const t of targets) await (await context(t)).watch();
    console.log('build-main: watching src-main for changes');
    return;
  }
  for (const t of targets) await rm(t.outdir, { recursive: true, force: true });
  const started = Date.now();
  await Promise.all(targets.map((t) => build(t)));
  console.log(`build-main: ${targets.map((t) => path.relative(root, t.outdir) || t.outdir).join(', ')} in ${Date.now() - started} ms`);
}

await main();
