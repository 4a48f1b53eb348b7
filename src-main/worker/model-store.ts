import type { ModelStore } from '../engine/upscaler';
import { openModelCache } from '../cache';
import type { WorkerRunOptions } from '../jobs/worker-protocol';

// One cache object per folder and size cap, shared by the jobs of this worker.
const open = new Map<string, ModelStore>();

/** The per-image model cache for learned methods, or none when the job has no cache folder. */
export function openModelStore(options: WorkerRunOptions, onWarning?: (message: string) => void): ModelStore | undefined {
  if (!options.cacheDir) return undefined;
  const key = `${options.cacheDir}\n${options.cacheMaxMB ?? ''}`;
  let store = open.get(key);
  if (!store) {
    store = openModelCache({
      cacheDir: options.cacheDir,
      ...(options.cacheMaxMB !== undefined ? { maxMB: options.cacheMaxMB } : {}),
      onCorrupt: (k, reason) => onWarning?.(`model cache: dropped a damaged entry ${k.slice(0, 12)}… (${reason})`),
    });
    open.set(key, store);
  }
  return store;
}
