import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** `--import <tsx loader>` with an absolute URL, for test fixtures written in TypeScript. */
export function tsxExecArgv(): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}
