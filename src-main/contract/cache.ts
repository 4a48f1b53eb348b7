import { z } from 'zod';
import { method } from './define';

// The per-image model cache (trained ZSSR weights per photo + settings), as the API shows it.

export const CacheEntry = z.object({
  key: z.string(),
  method: z.string().optional(),
  created: z.number(),
  lastUsed: z.number(),
  bytes: z.number(),
  steps: z.number().optional(),
  finalLoss: z.number().optional(),
  trainMs: z.number().optional(),
  backend: z.string().optional(),
  scale: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  /** Camera / lens / ISO hints the entry was made with (warm starts). */
  hints: z.record(z.string(), z.string()).optional(),
});
export type CacheEntry = z.infer<typeof CacheEntry>;

export const CacheStats = z.object({
  entries: z.number(),
  bytes: z.number(),
  maxBytes: z.number(),
  dir: z.string(),
});
export type CacheStats = z.infer<typeof CacheStats>;

export const CacheClearResult = z.object({ removed: z.number(), freedBytes: z.number() });
export type CacheClearResult = z.infer<typeof CacheClearResult>;

export const cacheApi = {
  'cache.list': method(z.tuple([]), z.array(CacheEntry)),
  'cache.stats': method(z.tuple([]), CacheStats),
  'cache.clear': method(z.tuple([]), CacheClearResult),
};
