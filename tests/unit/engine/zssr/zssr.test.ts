import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineProgress, FloatImage } from '../../../../src-main/contract/image';
import { tf } from '../../../../src-main/engine/backend';
import { getUpscaler } from '../../../../src-main/engine/registry';
import { inferTiled } from '../../../../src-main/engine/tiling';
import type { EngineEvent, UpscaleContext } from '../../../../src-main/engine/upscaler';
import { zssrUpscale, type ZssrReport } from '../../../../src-main/engine/zssr';
import { FastTrainer, initWeights } from '../../../../src-main/engine/zssr/trainer';
import { PairedNormalRng } from '../../../../src-main/engine/train/rng';
import { ModelCache } from '../../../../src-main/cache';

// A small photo-like test card: smooth gradients, a disc and stripes (structure repeats across scales).
function card(w: number, h: number): FloatImage {
  const d = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (w / 4) ** 2 ? 0.6 : 0;
      d[i] = 0.2 + 0.6 * (x / w) * (1 - disc);
      d[i + 1] = 0.3 + disc * 0.5 + 0.1 * Math.sin(x / 2);
      d[i + 2] = 0.5 + 0.3 * Math.sign(Math.sin(y / 1.5)) * (x > w / 2 ? 1 : 0.3);
    }
  return { width: w, height: h, channels: 3, data: d };
}

// Tiny network and few steps: tests check behaviour, the benchmark checks quality.
const cfg = { model_depth: 3, model_width: 8, crop_size: 16, num_epochs: 8, patch_size: 16 };

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zssr-test-'));
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('zssr', () => {
  it('is registered as the zero-shot family', () => {
    expect(getUpscaler('zssr').info.family).toBe('zero-shot');
  });

  it('upscales x2 on the fast kernels: right size, [0,1], progress and backend events', async () => {
    const progress: EngineProgress[] = [];
    const events: EngineEvent[] = [];
    let report: ZssrReport | undefined;
    const img = card(20, 14);
    const out = await zssrUpscale(
      img,
      { scale: 2, preset: 'draft', zssr: cfg, backend: 'wasm', onProgress: (p) => progress.push(p), onEvent: (e) => events.push(e) },
      { threads: 2, onReport: (r) => (report = r) },
    );
    expect([out.width, out.height, out.channels]).toEqual([40, 28, 3]);
    expect(out.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(events[0]).toMatchObject({ backend: 'wasm', cacheHit: false });
    const train = progress.filter((p) => p.phase === 'train');
    expect(train[0]).toMatchObject({ step: 1, total: 8 });
    expect(typeof train[0].loss).toBe('number');
    expect(typeof train[0].lr).toBe('number');
    expect(progress.some((p) => p.phase === 'infer')).toBe(true);
    expect(report?.steps).toEqual([8]);
    // Back-projection makes the result agree with the input when downscaled again.
    const { imresize } = await import('../../../../src-main/engine/classical');
    const down = imresize(out, { scale: 0.5 });
    let err = 0;
    for (let i = 0; i < down.data.length; i++) err = Math.max(err, Math.abs(down.data[i] - img.data[i]));
    expect(err).toBeLessThan(0.06);
  });

  it('gradual x4 in two steps, gray in -> gray out', async () => {
    const rgb = card(10, 8);
    const g: FloatImage = { width: 10, height: 8, channels: 1, data: Float32Array.from({ length: 80 }, (_, i) => rgb.data[3 * i + 1]) };
    let report: ZssrReport | undefined;
    const out = await zssrUpscale(g, { scale: 4, preset: 'max', zssr: { ...cfg, num_epochs: 3, ensemble: false, scale_factor: 2 }, backend: 'wasm' }, { threads: 1, onReport: (r) => (report = r) });
    expect([out.width, out.height, out.channels]).toEqual([40, 32, 1]);
    expect(report?.steps).toEqual([3, 3]);
  });

  it('gradual steps follow scale_factors and base_change_sfs; back_projection_iters per step', async () => {
    const img = card(18, 14);
    const run = async (zssr: Record<string, unknown>): Promise<{ out: FloatImage; rep: ZssrReport }> => {
      let rep: ZssrReport | undefined;
      const out = await zssrUpscale(img, { scale: 2, preset: 'draft', zssr: { ...cfg, num_epochs: 4, ...zssr }, backend: 'wasm' }, { threads: 1, onReport: (r) => (rep = r) });
      if (!rep) throw new Error('no report');
      return { out, rep };
    };
    const a = await run({ scale_factors: [[1, 1.5], 1.5, 2], back_projection_iters: [0, 3, 2] });
    expect([a.out.width, a.out.height]).toEqual([36, 28]);
    expect(a.rep.steps).toEqual([4, 4, 4]);
    expect(a.rep.backProjection.map((b) => b.iterations)).toEqual([0, 3, 2]);
    // The x1.5 result as the input of the last step (a x4/3 step from it) changes the result.
    const b = await run({ scale_factors: [[1, 1.5], 1.5, 2], back_projection_iters: [0, 3, 2], base_change_sfs: [1.5] });
    expect([b.out.width, b.out.height]).toEqual([36, 28]);
    let diff = 0;
    for (let i = 0; i < a.out.data.length; i++) diff = Math.max(diff, Math.abs(a.out.data[i] - b.out.data[i]));
    expect(diff).toBeGreaterThan(1e-3);
    expect(b.rep.key).not.toBe(a.rep.key);
  });

  it('each training step sends one train event; the last step is not sent twice', async () => {
    const progress: EngineProgress[] = [];
    await zssrUpscale(card(16, 12), { scale: 2, preset: 'draft', zssr: { ...cfg, num_epochs: 6 }, backend: 'wasm', onProgress: (p) => progress.push(p) }, { threads: 1 });
    const steps = progress.filter((p) => p.phase === 'train' && p.loss !== undefined).map((p) => p.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps.at(-1)).toBe(6);
    expect(progress.filter((p) => p.phase === 'train').at(-1)).toMatchObject({ done: 6, total: 6, message: expect.stringMatching(/^trained 6 steps/) });
  });

  it('tells how long the enlarging after training will take, from its own net measured here, and counts its tiles', async () => {
    // Fine repeating texture: the net beats interpolation on it after a few steps, so it enlarges.
    const texture = (): FloatImage => ({ width: 40, height: 30, channels: 3, data: Float32Array.from({ length: 40 * 30 * 3 }, (_, i) => (i % 7) / 7) });
    const progress: EngineProgress[] = [];
    await zssrUpscale(texture(), { scale: 2, preset: 'draft', zssr: { ...cfg, num_epochs: 6, ensemble: false }, backend: 'wasm', onProgress: (p) => progress.push(p) }, { threads: 1 });
    const train = progress.filter((p) => p.phase === 'train' && p.loss !== undefined);
    expect(train.length).toBeGreaterThan(0);
    for (const p of train) expect(p.restMs).toBeGreaterThan(0);
    const tiles = progress.filter((p) => p.phase === 'infer');
    expect(tiles.length).toBeGreaterThan(1);
    for (const p of tiles) expect(p).toMatchObject({ unit: 'tiles', total: tiles.at(-1)!.total });
    expect(tiles.at(-1)!.done).toBe(tiles.at(-1)!.total);
  });

  it('a second run is a cache hit with identical output; a corrupt entry is dropped and retrained', async () => {
    const store = new ModelCache({ dir: path.join(dir, 'cache') });
    const img = card(16, 12);
    const ctx = (events: EngineEvent[]): UpscaleContext => ({ scale: 2, preset: 'draft', zssr: { ...cfg, ensemble: true }, backend: 'wasm', store, onEvent: (e) => events.push(e) });
    const e1: EngineEvent[] = [], e2: EngineEvent[] = [], e3: EngineEvent[] = [];
    const first = await zssrUpscale(img, ctx(e1));
    const second = await zssrUpscale(img, ctx(e2));
    expect(e1[0].cacheHit).toBe(false);
    expect(e2[0].cacheHit).toBe(true);
    expect(Buffer.from(second.data.buffer).equals(Buffer.from(first.data.buffer))).toBe(true);
    const [entry] = await store.list();
    expect(entry).toMatchObject({ steps: 8, backend: 'wasm', scale: 2, width: 16, height: 12 });
    // Flip one byte of the weights: the checksum catches it, the run trains again.
    const wfile = path.join(dir, 'cache', `${entry.key}.weights`);
    const bytes = await fs.readFile(wfile);
    bytes[10] ^= 0xff;
    await fs.writeFile(wfile, bytes);
    const third = await zssrUpscale(img, ctx(e3));
    expect(e3[0].cacheHit).toBe(false);
    expect(Buffer.from(third.data.buffer).equals(Buffer.from(first.data.buffer))).toBe(true); // seeded: same training
    // A different scale is a different key.
    const e4: EngineEvent[] = [];
    await zssrUpscale(img, { ...ctx(e4), scale: 3 });
    expect(e4[0].cacheHit).toBe(false);
  });

  it('warm-starts from the cached model of a photo with the same camera hints and stops at its loss', async () => {
    const store = new ModelCache({ dir: path.join(dir, 'warm') });
    const hints = { camera: 'X100V', lens: '23mm', iso: '400' };
    const run = async (img: FloatImage, h: Record<string, string> | undefined): Promise<ZssrReport> => {
      let rep: ZssrReport | undefined;
      await zssrUpscale(img, { scale: 2, preset: 'draft', zssr: { ...cfg, num_epochs: 60 }, backend: 'wasm', store, ...(h ? { hints: h } : {}) }, { threads: 2, onReport: (r) => (rep = r) });
      if (!rep) throw new Error('no report');
      return rep;
    };
    const a = await run(card(16, 16), hints);
    expect(a.warmStartFrom).toBeUndefined();
    const b = card(16, 16);
    for (let i = 0; i < b.data.length; i++) b.data[i] = Math.min(1, b.data[i] * 0.97 + 0.02); // a similar shot
    const warm = await run(b, { ...hints, iso: '640' });
    expect(warm.warmStartFrom).toBe(a.key);
    expect(warm.steps[0]).toBeLessThan(60);
    const other = await run(card(16, 12), { camera: 'EOS R5' });
    expect(other.warmStartFrom).toBeUndefined();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`cancels within 1 s and leaks no tensors (${backend})`, async () => {
      const before = tf.memory().numTensors;
      const ac = new AbortController();
      let abortedAt = 0;
      const run = zssrUpscale(card(24, 24), {
        scale: 2,
        preset: 'max',
        zssr: { ...cfg, num_epochs: 100000 },
        backend,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase === 'train' && (p.step ?? 0) >= 3 && !abortedAt) {
            abortedAt = performance.now();
            setTimeout(() => ac.abort(), 0);
          }
        },
      });
      await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
      expect(performance.now() - abortedAt).toBeLessThan(1000);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('trains with tfjs autodiff on the cpu backend without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const out = await zssrUpscale(card(12, 10), { scale: 2, preset: 'draft', zssr: { ...cfg, num_epochs: 3 }, backend: 'cpu' });
    expect([out.width, out.height]).toEqual([24, 20]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('tiled inference equals whole-image inference within 1/255', async () => {
    const trainer = await FastTrainer.create({ depth: 4, width: 8, kernel: 3 }, 16, 2);
    try {
      const w = initWeights({ depth: 4, width: 8, kernel: 3 }, new PairedNormalRng(1));
      for (const k of w.kernels) for (let i = 0; i < k.length; i++) k[i] *= 8; // a net that does something
      trainer.setWeights(w);
      const img = card(53, 41);
      const whole = trainer.forward(img);
      const tiled = await inferTiled(img, { scale: 1, tile: 24, overlap: 16, margin: 5 }, async (t) => trainer.forward(t));
      let maxDiff = 0, maxResidual = 0;
      for (let i = 0; i < whole.data.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(whole.data[i] - tiled.data[i]));
        maxResidual = Math.max(maxResidual, Math.abs(whole.data[i] - img.data[i]));
      }
      expect(maxResidual).toBeGreaterThan(0.05);
      expect(maxDiff).toBeLessThan(1 / 255);
    } finally {
      await trainer.dispose();
    }
  });
});
