// cache/: the per-image model cache (trained ZSSR weights per photo and settings).
import path from 'node:path';
import type { StudioApi } from '../contract/api';
import { DEFAULT_CACHE_MAX_BYTES, ModelCache } from './model-cache';

export { ModelCache, DEFAULT_CACHE_MAX_BYTES, isoBand, similarHints, type ModelCacheOptions } from './model-cache';

/** Model entries live in <dataDir>/cache/models (the cache folder may hold other caches too). */
export function modelCacheDir(cacheDir: string): string {
  return path.join(cacheDir, 'models');
}

/** The ModelStore the engine uses, for a data dir's cache folder and the size cap setting. */
export function openModelCache(opts: { cacheDir: string; maxMB?: number; onCorrupt?: (key: string, reason: string) => void }): ModelCache {
  return new ModelCache({
    dir: modelCacheDir(opts.cacheDir),
    maxBytes: opts.maxMB !== undefined ? opts.maxMB * 2 ** 20 : DEFAULT_CACHE_MAX_BYTES,
    ...(opts.onCorrupt ? { onCorrupt: opts.onCorrupt } : {}),
  });
}

/** What the cache API needs from the service (structural: no import of service/). */
export interface CacheApiDeps {
  paths: { cache: string };
  settings: { get(): { cacheMaxMB: number } };
  onWarning?(message: string): void;
}

export function createCacheApi(deps: CacheApiDeps): Pick<StudioApi, 'cache.list' | 'cache.stats' | 'cache.clear'> {
  const open = (): ModelCache =>
    openModelCache({
      cacheDir: deps.paths.cache,
      maxMB: deps.settings.get().cacheMaxMB,
      onCorrupt: (key, reason) => deps.onWarning?.(`model cache: dropped corrupt entry ${key.slice(0, 12)}… (${reason})`),
    });
  return {
    'cache.list': async () => open().list(),
    'cache.stats': async () => open().stats(),
    'cache.clear': async () => open().clear(),
  };
}
