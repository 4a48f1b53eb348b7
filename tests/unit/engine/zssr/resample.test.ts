import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { imresize } from '../../../../src-main/engine/classical';
import { zssrUpscale, type ZssrReport } from '../../../../src-main/engine/zssr';
import { loadKernelFile, parseKernelText } from '../../../../src-main/imaging/kernel-file';
import { bicubicResampler, isotropic, kernelIsSymmetric, kernelResampler } from '../../../../src-main/engine/zssr/resample';

const img = (w: number, h: number): FloatImage => ({ width: w, height: h, channels: 1, data: Float32Array.from({ length: w * h }, (_, i) => (i * 37) % 11 / 10) });

describe('blur-kernel downscaling', () => {
  it('parses text kernels and normalises them', () => {
    expect(parseKernelText('[[1, 1], [1, 1]]')).toEqual([[0.25, 0.25], [0.25, 0.25]]);
    expect(parseKernelText('# box\n1 2 1\n2 4 2\n1 2 1\n')[1][1]).toBeCloseTo(0.25, 12);
  });

  it('a 2x2 box kernel at x2 averages each 2x2 block (no extra blur from the placement)', () => {
    const src = img(6, 4);
    const out = kernelResampler(parseKernelText('[[1,1],[1,1]]')).down(src, isotropic(2), 3, 2);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        const d = src.data;
        const mean = (d[2 * i * 6 + 2 * j] + d[2 * i * 6 + 2 * j + 1] + d[(2 * i + 1) * 6 + 2 * j] + d[(2 * i + 1) * 6 + 2 * j + 1]) / 4;
        expect(out.data[i * 3 + j]).toBeCloseTo(mean, 6);
      }
  });

  it('an odd kernel at x2 sits between two pixels: shifted by half a pixel, it keeps a constant and a ramp exact', () => {
    // A ramp is reproduced exactly by any symmetric kernel placed at the block's middle.
    const w = 16, h = 8;
    const ramp: FloatImage = { width: w, height: h, channels: 1, data: Float32Array.from({ length: w * h }, (_, i) => (i % w) / w) };
    const k = parseKernelText('1 2 1\n2 4 2\n1 2 1');
    const out = kernelResampler(k).down(ramp, isotropic(2), 8, 4);
    for (let j = 2; j < 6; j++) expect(out.data[w / 2 + j]).toBeCloseTo((2 * j + 0.5) / w, 5);
  });

  it('bicubic down/up take a factor per axis (anisotropic gradual steps)', () => {
    const src = img(12, 9);
    const d = bicubicResampler.down(src, { y: 1.5, x: 2 }, 6, 6);
    expect([d.width, d.height]).toEqual([6, 6]);
    const ref = imresize(src, { scaleX: 0.5, scaleY: 1 / 1.5 });
    expect(Array.from(d.data)).toEqual(Array.from(ref.data));
  });

  it('knows which kernels survive rotations and flips', () => {
    expect(kernelIsSymmetric(parseKernelText('1 2 1\n2 4 2\n1 2 1'))).toBe(true);
    expect(kernelIsSymmetric(parseKernelText('0 1 0\n0 4 2\n0 0 0'))).toBe(false);
  });

  it('a ZSSR run with a kernel file trains on a different key than plain bicubic', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zssr-kernel-'));
    try {
      const kfile = path.join(dir, 'kernel.json');
      await fs.writeFile(kfile, '[[0,1,0],[1,4,1],[0,1,0]]');
      const rgb: FloatImage = { width: 12, height: 10, channels: 3, data: Float32Array.from({ length: 360 }, (_, i) => ((i * 13) % 17) / 16) };
      const zssr = { model_depth: 3, model_width: 8, crop_size: 16, num_epochs: 4, patch_size: 16 };
      const reps: ZssrReport[] = [];
      // The caller (the worker) reads kernel_path and hands the engine the matrix.
      const kernel = await loadKernelFile(kfile);
      const a = await zssrUpscale(rgb, { scale: 2, preset: 'draft', zssr: { ...zssr, kernel_path: kfile }, kernel, backend: 'wasm' }, { threads: 1, onReport: (r) => reps.push(r) });
      await zssrUpscale(rgb, { scale: 2, preset: 'draft', zssr, backend: 'wasm' }, { threads: 1, onReport: (r) => reps.push(r) });
      expect([a.width, a.height]).toEqual([24, 20]);
      expect(reps[0].key).not.toBe(reps[1].key);
      await expect(zssrUpscale(rgb, { scale: 2, zssr: { ...zssr, kernel_path: kfile }, backend: 'wasm' })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
