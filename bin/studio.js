#!/usr/bin/env node
// The `studio` command: runs the built command line (out/main/cli.js, made by
// scripts/build-main.mjs with esbuild). In a source checkout it is rebuilt first when the sources
// are newer (about a second); no TypeScript is compiled at run time.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliFile = path.join(root, 'out', 'main', 'cli.js');

if (existsSync(path.join(root, 'src-main')) && existsSync(path.join(root, 'scripts', 'build-main.mjs'))) {
  let build;
  try {
    build = await import('../scripts/build-main.mjs');
  } catch {
    // no esbuild (an install without dev tools): run what is built
  }
  if (build?.mainIsStale()) await build.buildMain({ only: 'main' });
}
if (!existsSync(cliFile)) {
  console.error('studio: the command line is not built; run `npm run build:main` (needs the dev dependencies).');
  process.exit(2);
}
const { main } = await import(pathToFileURL(cliFile).href);
process.exitCode = await main(process.argv.slice(2));
