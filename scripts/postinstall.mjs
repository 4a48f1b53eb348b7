// Install steps that download from outside the npm registry are disabled in package.json
// (allowScripts) so that an offline install succeeds; here we try each ourselves and, if it
// cannot be fetched, say so in one line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function resolveOrUndefined(id) {
  try {
    return require.resolve(id);
  } catch {
    return undefined; // production install without devDependencies, or an optional package left out
  }
}

// Electron: the desktop binary.
function electron() {
  const installJs = resolveOrUndefined('electron/install.js');
  if (!installJs || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return;
  const pathTxt = installJs.replace(/install\.js$/, 'path.txt');
  if (existsSync(pathTxt)) return;
  const r = spawnSync(process.execPath, [installJs], { stdio: 'pipe', timeout: 120_000 });
  if (r.status !== 0 || !existsSync(pathTxt)) {
    console.log('loupe-studio: the Electron desktop binary could not be downloaded; `npm start` will serve the studio in your browser instead.');
  }
}

// ONNX Runtime: the CPU, WebGPU (and DirectML/CoreML) providers ship in the package; its own
// script adds the CUDA provider on Linux x64 from NuGet. ONNXRUNTIME_NODE_INSTALL=skip skips it.
function onnxruntime() {
  const pkgJson = resolveOrUndefined('onnxruntime-node/package.json');
  if (!pkgJson) return;
  const installJs = pkgJson.replace(/package\.json$/, 'script/install.js');
  if (!existsSync(installJs)) return;
  // Without npm's variables naming our package.json, which the script reads as "ONNX Runtime's own checkout".
  const env = { ...process.env };
  delete env.npm_package_json;
  delete env.npm_config_local_prefix;
  const r = spawnSync(process.execPath, [installJs], { stdio: 'pipe', timeout: 300_000, env });
  if (r.status !== 0) {
    console.log('loupe-studio: the ONNX Runtime CUDA provider could not be downloaded; inference runs on the CPU and WebGPU providers.');
  }
}

electron();
onnxruntime();
