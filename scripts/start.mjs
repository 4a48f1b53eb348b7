// `npm start`: the desktop studio when the Electron binary is installed, otherwise the same
// studio served to the browser by `studio serve`. Builds what is out of date first.
//   npm start [-- <args>]        extra args go to Electron (or to `studio serve`)
//   ELECTRON_PATH=/path/electron  use that Electron binary instead of the npm package's
//   STUDIO_NO_BUILD=1             start with what is in out/ (no staleness check, no build)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { newest } from './build-main.mjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const extraArgs = process.argv.slice(2);

/** The Electron executable if one is really there (the npm package throws or points nowhere without it). */
export function findElectron() {
  const fromEnv = process.env.ELECTRON_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  try {
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function mtime(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm start: ${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status || 1);
  }
}

const noBuild = process.env.STUDIO_NO_BUILD === '1';

function buildRendererIfStale() {
  if (noBuild) return;
  const built = mtime(path.join(root, 'out/renderer/index.html'));
  if (built && built >= newest(path.join(root, 'src-renderer')) && built >= newest(path.join(root, 'src-main/contract'))) return;
  run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'], 'building the renderer');
}

function buildMainIfStale() {
  if (noBuild) return;
  run(process.execPath, [path.join(root, 'scripts/build-main.mjs'), '--if-stale'], 'building the main process');
}

/** Runs a child in the foreground: our signals go to it, its exit code becomes ours. */
function foreground(cmd, args, env = process.env) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
  // Forward a signal once: when the whole process group got it, the child already has it too.
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => child.kill(sig));
  // `npm start` runs us under `sh -c`, and a SIGTERM to npm stops that shell without passing the
  // signal on: when our parent is gone, the child is stopped as if we had been sent SIGTERM.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) child.kill('SIGTERM');
  }, 500).unref();
  // A child stopped by a signal exits as a shell would report it (128 + signal number).
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 0)));
}

function startDesktop(electron) {
  buildRendererIfStale();
  buildMainIfStale();
  // ELECTRON_RUN_AS_NODE inherited from a tool would turn the app into plain Node.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  foreground(electron, [root, ...extraArgs], env);
}

function startBrowser() {
  console.log('npm start: the Electron desktop binary is missing, so the studio is served in your browser instead (studio serve).');
  const studio = path.join(root, 'bin/studio.js');
  const probe = spawnSync(process.execPath, [studio, 'serve', '--help'], { cwd: root, encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error('npm start: `studio serve` is not available in this build, so there is nothing to open; install the Electron binary (see docs/desktop.md) or add the serve command.');
    process.exit(2);
  }
  buildRendererIfStale();
  // CI machines have no one to look at a browser.
  const open = process.env.CI ? [] : ['--open'];
  foreground(process.execPath, [studio, 'serve', ...open, ...extraArgs]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const electron = findElectron();
  if (electron) startDesktop(electron);
  else startBrowser();
}
