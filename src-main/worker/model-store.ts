import type { ModelStore } from '../engine/upscaler';
import type { WorkerRunOptions } from '../jobs/worker-protocol';

/** The per-image model cache for learned methods; none until cache/ provides one. */
export async function openModelStore(options: WorkerRunOptions): Promise<ModelStore | undefined> {
  if (!options.cacheDir) return undefined;
  return undefined;
}
