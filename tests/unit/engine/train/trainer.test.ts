import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { getUpscaler, listModels } from '../../../../src-main/engine/registry';
import { defaultConfig, loadUserModels, trainModel, type TrainConfig } from '../../../../src-main/engine/train';
import { decodeImage, svgToPng } from '../../../../src-main/imaging';
import { scene, scenePng } from '../pretrained/synthetic';

let tmp: string;
let data: string;
const decode = async (f: string): Promise<FloatImage> => (await decodeImage(f)).rgb;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-train-'));
  data = path.join(tmp, 'photos');
  await fs.mkdir(data);
  for (let i = 0; i < 5; i++) await fs.writeFile(path.join(data, `p${i}.png`), await scenePng(64 + 8 * i, 72 - 4 * i, i + 1));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

function tiny(arch: TrainConfig['arch'], name: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...defaultConfig(arch, name, 2), width: 8, depth: 3, patch: 12, batch: 4, stepsPerEpoch: 8, maxEpochs: 3, valCrops: 2, lr: 3e-3, ...over };
}

const weightsOf = (dir: string) => fs.readFile(path.join(dir, 'weights.bin'));

describe('trainModel', () => {
  it('cnn: validation loss goes down, best model saved, verified and registered, curve drawn', async () => {
    const studio = path.join(tmp, 'studio-a');
    const progress: number[] = [];
    const r = await trainModel(data, tiny('cnn', 'first', { maxEpochs: 4 }), { dataDir: studio, decode, rasterise: svgToPng, backend: 'wasm', onProgress: (p) => p.phase === 'train' && progress.push(p.done) });
    expect(r.id).toBe('user:first');
    expect(r.history.length).toBe(4);
    expect(r.history[3].valLoss).toBeLessThan(r.history[0].valLoss);
    expect(r.history[3].trainLoss).toBeLessThan(r.history[0].trainLoss);
    expect(progress[progress.length - 1]).toBe(32);
    expect(r.verifiedPsnr).toBeCloseTo(r.best.psnr, 9); // the file reproduces the best epoch
    for (const f of ['model.json', 'weights.bin', 'curve.png', 'history.json', 'checkpoint/model.json']) await expect(fs.stat(path.join(r.dir, f))).resolves.toBeTruthy();
    const meta = await sharp(r.curve).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 900, 420]);
    expect(listModels().find((m) => m.id === 'user:first')?.family).toBe('user');
    const img = await scene(30, 22, 9);
    const out = await getUpscaler('user:first').upscale(img, { scale: 2, backend: 'wasm' });
    expect([out.width, out.height, out.channels]).toEqual([60, 44, 3]);
    // A fresh process finds it through loadUserModels.
    const { loaded, errors } = await loadUserModels(studio);
    expect(errors).toEqual([]);
    expect(loaded.map((u) => u.info.id)).toEqual(['user:first']);
    const again = await loaded[0].upscale(img, { scale: 2, backend: 'wasm' });
    expect(Buffer.from(again.data.buffer).equals(Buffer.from(out.data.buffer))).toBe(true);
    await expect(trainModel(data, tiny('cnn', 'first'), { dataDir: studio, decode, rasterise: svgToPng, backend: 'wasm' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/already exists/) });
  });

  it('resuming from the checkpoint continues exactly where the run stopped', async () => {
    const straight = await trainModel(data, tiny('cnn', 'straight', { maxEpochs: 2 }), { dataDir: path.join(tmp, 'studio-b'), decode, rasterise: svgToPng, backend: 'wasm' });
    const studio = path.join(tmp, 'studio-c');
    const ac = new AbortController();
    let steps = 0;
    const interrupted = trainModel(data, tiny('cnn', 'resumed', { maxEpochs: 2 }), {
      dataDir: studio,
      decode,
      rasterise: svgToPng,
      backend: 'wasm',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'train' && ++steps === 11) ac.abort(); // in epoch 2
      },
    });
    await expect(interrupted).rejects.toMatchObject({ code: 'E_CANCELLED' });
    const r = await trainModel(data, tiny('cnn', 'resumed', { maxEpochs: 2 }), { dataDir: studio, decode, rasterise: svgToPng, backend: 'wasm' }, { resume: true });
    expect(r.resumedFrom).toBe(1);
    expect(r.history.map((h) => h.valLoss)).toEqual(straight.history.map((h) => h.valLoss));
    expect((await weightsOf(r.dir)).equals(await weightsOf(straight.dir))).toBe(true);
  });

  it('stops early when the validation loss stops improving and keeps the best epoch', async () => {
    // A learning rate far below float32 resolution leaves the weights unchanged: no epoch improves.
    const r = await trainModel(data, tiny('cnn', 'flat', { lr: 1e-12, maxEpochs: 20, patience: 2, stepsPerEpoch: 2 }), { dataDir: path.join(tmp, 'studio-d'), decode, rasterise: svgToPng, backend: 'wasm' });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.length).toBe(3);
    expect(r.bestEpoch).toBe(1);
  });

  it('gan: generator warm-up, then the discriminator joins; the model enhances a photo', async () => {
    const r = await trainModel(data, tiny('gan', 'gan', { maxEpochs: 2, warmupEpochs: 1, lr: 1e-3, advWeight: 1e-2 }), { dataDir: path.join(tmp, 'studio-e'), decode, rasterise: svgToPng, backend: 'wasm' });
    expect(r.history[0].dLoss).toBeUndefined();
    expect(r.history[1].dLoss).toBeGreaterThan(0);
    expect(Number.isFinite(r.history[1].valLoss)).toBe(true);
    expect(r.best.psnr).toBeGreaterThan(r.bicubicPsnr - 3); // starts from the bilinear enlargement
    expect(r.verifiedPsnr).toBeCloseTo(r.best.psnr, 9);
    const out = await getUpscaler('user:gan').upscale(await scene(24, 20, 3), { scale: 3, backend: 'wasm' });
    expect([out.width, out.height]).toEqual([72, 60]);
  });

  it('residual: trains on the fast kernels and beats its bicubic starting point', async () => {
    const r = await trainModel(data, tiny('residual', 'res', { maxEpochs: 3, width: 16, stepsPerEpoch: 30, batch: 2 }), { dataDir: path.join(tmp, 'studio-f'), decode, rasterise: svgToPng, backend: 'wasm' });
    expect(r.detail).toMatch(/engine\/fast/);
    expect(r.best.psnr).toBeGreaterThan(r.bicubicPsnr);
    expect(r.verifiedPsnr).toBeCloseTo(r.best.psnr, 9);
    const out = await getUpscaler('user:res').upscale(await scene(20, 20, 5), { scale: 2, backend: 'wasm' });
    expect([out.width, out.height]).toEqual([40, 40]);
  });

  it('a folder with a corrupt file is refused before training', async () => {
    const bad = path.join(tmp, 'bad');
    await fs.mkdir(bad);
    await fs.writeFile(path.join(bad, 'a.png'), await scenePng(64, 64));
    await fs.writeFile(path.join(bad, 'b.png'), await scenePng(64, 64, 2));
    await fs.writeFile(path.join(bad, 'c.jpg'), Buffer.from('not a jpeg at all'));
    await expect(trainModel(bad, tiny('cnn', 'bad'), { dataDir: path.join(tmp, 'studio-g'), decode, rasterise: svgToPng, backend: 'wasm' })).rejects.toMatchObject({
      code: 'E_DATASET_INVALID',
      message: expect.stringMatching(/c\.jpg/),
    });
  });
});
