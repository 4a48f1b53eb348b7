// Electron's own download is disabled in package.json (allowScripts) so that an offline
// install succeeds; here we try it ourselves and, if it cannot be fetched, say so in one line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let installJs;
try {
  installJs = require.resolve('electron/install.js');
} catch {
  process.exit(0); // production install without devDependencies: nothing to fetch
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
const pathTxt = installJs.replace(/install\.js$/, 'path.txt');
if (existsSync(pathTxt)) process.exit(0);
const r = spawnSync(process.execPath, [installJs], { stdio: 'pipe', timeout: 120_000 });
if (r.status !== 0 || !existsSync(pathTxt)) {
  console.log('loupe-studio: the Electron desktop binary could not be downloaded; `npm start` will serve the studio in your browser instead.');
}
