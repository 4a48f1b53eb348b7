import { fileURLToPath } from 'node:url';

/**
 * The worker process's entry file in this source tree (run through tsx). A bundled app passes
 * its own built file instead; nothing heavy is imported here.
 */
export function defaultWorkerEntry(): string {
  return fileURLToPath(new URL('./main.ts', import.meta.url));
}
