import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCacheApi, isoBand, ModelCache, modelCacheDir, openModelCache, similarHints } from '../../../src-main/cache';
import { formatEntries } from '../../../src-main/cli/commands/cache';
import type { StoredModel } from '../../../src-main/engine/upscaler';

function model(n: number, fill: number, meta: Record<string, unknown> = {}): StoredModel {
  const data = new Float32Array(n).fill(fill);
  return { weightSpecs: [{ name: 'stage0/conv0/kernel', shape: [n], dtype: 'float32' }], weightData: data.buffer, meta: { steps: 10, finalLoss: 0.02, trainMs: 1234, backend: 'wasm', scale: 2, width: 8, height: 6, ...meta } };
}
const key = (i: number): string => i.toString(16).padStart(64, 'a');

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'model-cache-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ModelCache', () => {
  it('round-trips weights and meta, and records use', async () => {
    const c = new ModelCache({ dir });
    expect(await c.get(key(1))).toBeUndefined();
    await c.put(key(1), model(100, 0.5));
    const m = await c.get(key(1));
    expect(m?.weightSpecs).toEqual([{ name: 'stage0/conv0/kernel', shape: [100], dtype: 'float32' }]);
    expect(Array.from(new Float32Array(m!.weightData)).every((v) => v === 0.5)).toBe(true);
    expect(m?.meta).toMatchObject({ steps: 10, finalLoss: 0.02, backend: 'wasm' });
    expect(typeof m?.meta.created).toBe('number');
    const [e] = await c.list();
    expect(e).toMatchObject({ key: key(1), steps: 10, trainMs: 1234, backend: 'wasm', scale: 2, width: 8, height: 6 });
    expect(e.bytes).toBeGreaterThan(400);
  });

  it('drops corrupt entries (bad checksum, truncated weights, broken meta) and reports them', async () => {
    const dropped: string[] = [];
    const c = new ModelCache({ dir, onCorrupt: (k, why) => dropped.push(`${k.slice(-1)}:${why}`) });
    for (const i of [1, 2, 3]) await c.put(key(i), model(64, i));
    const w1 = path.join(dir, `${key(1)}.weights`);
    const b = await fs.readFile(w1);
    b[0] ^= 1;
    await fs.writeFile(w1, b);
    await fs.truncate(path.join(dir, `${key(2)}.weights`), 10);
    await fs.writeFile(path.join(dir, `${key(3)}.json`), '{"version":1,');
    for (const i of [1, 2, 3]) expect(await c.get(key(i))).toBeUndefined();
    expect(dropped).toEqual(['1:weights checksum mismatch', '2:weights checksum mismatch', '3:meta file is not JSON']);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('evicts the least recently used entries above the size cap', async () => {
    const c = new ModelCache({ dir, maxBytes: 3 * 4096 + 3 * 1500 });
    for (const i of [1, 2, 3]) {
      await c.put(key(i), model(1024, i));
      await new Promise((r) => setTimeout(r, 5));
    }
    await c.get(key(1)); // now 2 is the least recently used
    await new Promise((r) => setTimeout(r, 5));
    await c.put(key(4), model(1024, 4));
    const keys = (await c.list()).map((e) => e.key);
    expect(keys).toContain(key(1));
    expect(keys).toContain(key(4));
    expect(keys).not.toContain(key(2));
    expect((await c.stats()).bytes).toBeLessThanOrEqual(c.maxBytes);
  });

  it('finds a similar earlier photo by camera, lens and ISO band', async () => {
    const c = new ModelCache({ dir });
    await c.put(key(1), model(8, 1, { hints: { camera: 'X100V', lens: '23mm', iso: '800' } }));
    await c.put(key(2), model(8, 2, { hints: { camera: 'EOS R5', lens: 'RF50', iso: '100' } }));
    expect(new Float32Array((await c.findSimilar({ camera: 'X100V', lens: '23mm', iso: '1250' }))!.weightData)[0]).toBe(1);
    expect(await c.findSimilar({ camera: 'X100V', lens: '23mm', iso: '3200' })).toBeUndefined();
    expect(await c.findSimilar({ camera: 'EOS R5', lens: 'RF85' })).toBeUndefined();
    expect(await c.findSimilar({ lens: '23mm' })).toBeUndefined();
    expect([isoBand('100'), isoBand('199'), isoBand('200'), isoBand('6400'), isoBand('x')]).toEqual([0, 0, 1, 6, undefined]);
    expect(similarHints({ camera: 'A' }, { camera: 'A', iso: '400' })).toBe(true);
  });

  it('the API lists, measures and clears the cache under <cache>/models', async () => {
    const api = createCacheApi({ paths: { cache: dir }, settings: { get: () => ({ cacheMaxMB: 16 }) } });
    const c = openModelCache({ cacheDir: dir, maxMB: 16 });
    expect(c.dir).toBe(modelCacheDir(dir));
    await c.put(key(7), model(256, 7));
    expect((await api['cache.list']()).map((e) => e.key)).toEqual([key(7)]);
    expect(await api['cache.stats']()).toMatchObject({ entries: 1, maxBytes: 16 * 2 ** 20, dir: path.join(dir, 'models') });
    expect(formatEntries(await api['cache.list']())).toMatch(/aaaaaaaaaaaa\s+8x6\s+x2\s+10\s+0\.0200\s+1\.2 s\s+wasm/);
    expect(await api['cache.clear']()).toMatchObject({ removed: 1 });
    expect(await api['cache.list']()).toEqual([]);
    expect(formatEntries([])).toBe('The model cache is empty.');
  });
});
