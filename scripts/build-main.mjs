// Bundles everything that runs in Node with esbuild: the command line (the HTTP server included),
// the engine worker and the Electron main process as ESM (npm packages stay external and are
// loaded from node_modules / the asar at run time), the preload as ONE CommonJS file with nothing
// external but 'electron', because a sandboxed preload cannot require anything else. No
// TypeScript is compiled at run time: bin/studio.js and the app run these files.
//   node scripts/build-main.mjs [--watch] [--minify] [--out DIR] [--only main|preload] [--if-stale]
import { build, context } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Node bundles' entries (out/main/<name>.js). */
export const MAIN_ENTRIES = { cli: 'src-main/cli/main.ts', worker: 'src-main/worker/main.ts', app: 'src-main/app/main.ts' };

/** Newest modification time under `dir` (skipping node_modules and dot-folders), 0 if absent. */
export function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether out/main is older than the sources (or missing). */
export function mainIsStale(outRoot = path.join(root, 'out')) {
  const built = Object.keys(MAIN_ENTRIES).map((n) => {
    const f = path.join(outRoot, 'main', `${n}.js`);
    return existsSync(f) ? statSync(f).mtimeMs : 0;
  });
  return Math.min(...built) < Math.max(newest(path.join(root, 'src-main')), statSync(path.join(root, 'package.json')).mtimeMs);
}

/** The contract's method names, for the preload (read from the maps themselves, bundled on the fly). */
async function contractMethods() {
  const r = await build({
    stdin: {
      contents: "export { studioApi } from './src-main/contract/api.ts'; export { desktopApi } from './src-main/contract/desktop.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'warning',
  });
  const tmp = path.join(root, 'out', `.contract-${process.pid}.mjs`);
  await mkdir(path.dirname(tmp), { recursive: true });
  await writeFile(tmp, r.outputFiles[0].contents);
  try {
    const { studioApi, desktopApi } = await import(pathToFileURL(tmp).href);
    return { studio: Object.keys(studioApi), desktop: Object.keys(desktopApi) };
  } finally {
    await rm(tmp, { force: true });
  }
}

function targets(outRoot, minify, methods) {
  return {
    main: {
      entryPoints: Object.fromEntries(Object.entries(MAIN_ENTRIES).map(([n, f]) => [n, path.join(root, f)])),
      outdir: path.join(outRoot, 'main'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      external: ['electron'],
      sourcemap: 'linked',
      minify,
      logLevel: 'warning',
    },
    preload: {
      entryPoints: { preload: path.join(root, 'src-main/preload/index.ts') },
      outdir: path.join(outRoot, 'preload'),
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
  };
}

/** Each file replaced atomically: a CLI starting meanwhile reads the old bundle or the new one. */
async function writeOutputs(files) {
  for (const f of files) {
    await mkdir(path.dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    await writeFile(tmp, f.contents);
    await rename(tmp, f.path);
  }
}

/** Builds out/main (and out/preload unless only 'main'). */
export async function buildMain({ outRoot = path.join(root, 'out'), minify = false, only } = {}) {
  const all = targets(outRoot, minify, only === 'main' ? { studio: [], desktop: [] } : await contractMethods());
  const chosen = only ? [all[only]] : [all.main, all.preload];
  const started = Date.now();
  await Promise.all(chosen.map(async (t) => writeOutputs((await build({ ...t, write: false })).outputFiles)));
  return { ms: Date.now() - started, dirs: chosen.map((t) => path.relative(root, t.outdir) || t.outdir) };
}

async function cli() {
  const { values: opts } = parseArgs({
    options: { watch: { type: 'boolean' }, minify: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' }, 'if-stale': { type: 'boolean' } },
  });
  const outRoot = path.resolve(opts.out ?? path.join(root, 'out'));
  if (opts['if-stale'] && !mainIsStale(outRoot)) return;
  if (opts.watch) {
    const all = targets(outRoot, opts.minify ?? false, await contractMethods());
    for (const t of opts.only ? [all[opts.only]] : [all.main, all.preload]) await (await context(t)).watch();
    console.log('build-main: watching src-main for changes');
    return;
  }
  const r = await buildMain({ outRoot, minify: opts.minify ?? false, only: opts.only });
  console.log(`build-main: ${r.dirs.join(', ')} in ${r.ms} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
