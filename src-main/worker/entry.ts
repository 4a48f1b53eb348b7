import { builtFile } from '../base/resources';

/**
 * The engine process's built entry (out/main/worker.js, made by scripts/build-main.mjs: the same
 * bundle for the CLI, the server and the desktop app). No TypeScript is compiled at run time.
 */
export function defaultWorkerEntry(): string {
  const file = builtFile('main', 'worker.js');
  if (!file) throw new Error('the studio engine is not built: run `npm run build:main`');
  return file;
}
