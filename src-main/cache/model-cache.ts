import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { CacheEntry } from '../contract/cache';
import type { ModelStore, StoredModel } from '../engine/upscaler';

/**
 * Per-image model cache on disk: `<dir>/<key>.weights` (the raw float32 weights) and
 * `<dir>/<key>.json` (specs, meta, size and a SHA-256 of the weights). Written atomically
 * (temp file + rename, meta last), so a reader sees a whole entry or none; an entry whose
 * checksum or meta does not verify is deleted and reads as a miss. Least recently used
 * entries are evicted above the size cap.
 */
export interface ModelCacheOptions {
  dir: string;
  /** Size cap in bytes (weights + meta); default 1 GiB. */
  maxBytes?: number;
  /** Told about entries dropped as corrupt (for logs). */
  onCorrupt?: (key: string, reason: string) => void;
}

const KEY = /^[a-f0-9]{16,128}$/;

const MetaFile = z.object({
  version: z.literal(1),
  key: z.string(),
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  created: z.number(),
  lastUsed: z.number(),
  weightSpecs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.literal('float32') })),
  meta: z.record(z.string(), z.unknown()),
});
type MetaFile = z.infer<typeof MetaFile>;

export const DEFAULT_CACHE_MAX_BYTES = 1024 * 2 ** 20;

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** The ISO band of a hint: doublings from ISO 100 (100-199 -> 0, 200-399 -> 1, ...). */
export function isoBand(iso: string | undefined): number | undefined {
  const n = Number(iso);
  return Number.isFinite(n) && n > 0 ? Math.floor(Math.log2(n / 100) + 1e-9) : undefined;
}

/** Same camera model, same lens (when both name one) and same ISO band (when both have one). */
export function similarHints(a: Record<string, string>, b: Record<string, string>): boolean {
  if (!a.camera || a.camera !== b.camera) return false;
  if (a.lens && b.lens && a.lens !== b.lens) return false;
  const ia = isoBand(a.iso), ib = isoBand(b.iso);
  return ia === undefined || ib === undefined || ia === ib;
}

export class ModelCache implements ModelStore {
  readonly dir: string;
  maxBytes: number;
  private readonly onCorrupt?: (key: string, reason: string) => void;
  private ready: Promise<void> | undefined;

  constructor(opts: ModelCacheOptions) {
    this.dir = path.resolve(opts.dir);
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.onCorrupt = opts.onCorrupt;
  }

  private ensureDir(): Promise<void> {
    this.ready ??= fs.mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  private files(key: string): { weights: string; meta: string } {
    if (!KEY.test(key)) throw new Error(`bad cache key '${key}'`);
    return { weights: path.join(this.dir, `${key}.weights`), meta: path.join(this.dir, `${key}.json`) };
  }

  private async readMeta(key: string): Promise<MetaFile | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.files(key).meta, 'utf8');
    } catch {
      return undefined;
    }
    let parsed: ReturnType<typeof MetaFile.safeParse>;
    try {
      parsed = MetaFile.safeParse(JSON.parse(text));
    } catch {
      await this.drop(key, 'meta file is not JSON');
      return undefined;
    }
    if (!parsed.success || parsed.data.key !== key) {
      await this.drop(key, 'meta file does not match its schema');
      return undefined;
    }
    return parsed.data;
  }

  private async drop(key: string, reason: string): Promise<void> {
    this.onCorrupt?.(key, reason);
    await this.delete(key);
  }

  async delete(key: string): Promise<void> {
    const f = this.files(key);
    await Promise.all([fs.rm(f.meta, { force: true }), fs.rm(f.weights, { force: true })]);
  }

  async get(key: string): Promise<StoredModel | undefined> {
    if (!KEY.test(key)) return undefined;
    const meta = await this.readMeta(key);
    if (!meta) return undefined;
    let data: Buffer;
    try {
      data = await fs.readFile(this.files(key).weights);
    } catch {
      await this.drop(key, 'weights file missing');
      return undefined;
    }
    const expected = meta.weightSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0) * 4;
    if (data.length !== expected || createHash('sha256').update(data).digest('hex') !== meta.sha256) {
      await this.drop(key, 'weights checksum mismatch');
      return undefined;
    }
    meta.lastUsed = Date.now();
    await writeAtomic(this.files(key).meta, JSON.stringify(meta)).catch(() => undefined);
    const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    return { weightSpecs: meta.weightSpecs, weightData, meta: { ...meta.meta, created: meta.created, lastUsed: meta.lastUsed } };
  }

  async put(key: string, model: StoredModel): Promise<void> {
    await this.ensureDir();
    const f = this.files(key);
    const bytes = new Uint8Array(model.weightData);
    const now = Date.now();
    const meta: MetaFile = {
      version: 1,
      key,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.byteLength,
      created: now,
      lastUsed: now,
      weightSpecs: model.weightSpecs,
      meta: model.meta,
    };
    // Weights first, meta last: the meta file is the entry's commit record.
    await writeAtomic(f.weights, bytes);
    await writeAtomic(f.meta, JSON.stringify(meta));
    await this.evict(key);
  }

  /** Meta of every valid entry, most recently used first (corrupt ones are dropped). */
  async list(): Promise<CacheEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const out: CacheEntry[] = [];
    for (const n of names) {
      if (n.endsWith('.tmp')) continue;
      if (!n.endsWith('.json')) continue;
      const key = n.slice(0, -5);
      if (!KEY.test(key)) continue;
      const m = await this.readMeta(key);
      if (!m) continue;
      const x = m.meta;
      const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
      const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      const hints = x.hints && typeof x.hints === 'object' ? (x.hints as Record<string, string>) : undefined;
      const entry: CacheEntry = { key, created: m.created, lastUsed: m.lastUsed, bytes: m.bytes + Buffer.byteLength(JSON.stringify(m)) };
      const fields = { method: str(x.method) ?? 'zssr', steps: num(x.steps), finalLoss: num(x.finalLoss), trainMs: num(x.trainMs), backend: str(x.backend), scale: num(x.scale), width: num(x.width), height: num(x.height), hints };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) (entry as Record<string, unknown>)[k] = v;
      out.push(entry);
    }
    return out.sort((a, b) => b.lastUsed - a.lastUsed);
  }

  async stats(): Promise<{ entries: number; bytes: number; maxBytes: number; dir: string }> {
    const list = await this.list();
    return { entries: list.length, bytes: list.reduce((n, e) => n + e.bytes, 0), maxBytes: this.maxBytes, dir: this.dir };
  }

  /** Delete every entry (and stray temp files); returns what was freed. */
  async clear(): Promise<{ removed: number; freedBytes: number }> {
    const list = await this.list();
    for (const e of list) await this.delete(e.key);
    try {
      for (const n of await fs.readdir(this.dir)) if (n.endsWith('.tmp') || n.endsWith('.weights')) await fs.rm(path.join(this.dir, n), { force: true });
    } catch {
      // no folder: nothing to clear
    }
    return { removed: list.length, freedBytes: list.reduce((n, e) => n + e.bytes, 0) };
  }

  /** Drop least recently used entries until the cache fits its cap (never the one just written). */
  async evict(keep?: string): Promise<number> {
    const list = await this.list();
    let total = list.reduce((n, e) => n + e.bytes, 0);
    let removed = 0;
    for (let i = list.length - 1; i >= 0 && total > this.maxBytes; i--) {
      if (list[i].key === keep) continue;
      await this.delete(list[i].key);
      total -= list[i].bytes;
      removed++;
    }
    return removed;
  }

  /** The most recently used entry made from a photo taken with similar settings (warm starts). */
  async findSimilar(hint: Record<string, string>): Promise<StoredModel | undefined> {
    for (const e of await this.list()) {
      if (e.hints && similarHints(hint, e.hints)) {
        const m = await this.get(e.key);
        if (m) return m;
      }
    }
    return undefined;
  }
}
