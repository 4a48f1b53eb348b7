import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { zssrUpscale, type ZssrReport } from '../../../../src-main/engine/zssr';
import { kernelResampler, parseKernel } from '../../../../src-main/engine/zssr/resample';

const img = (w: number, h: number): FloatImage => ({ width: w, height: h, channels: 1, data: Float32Array.from({ length: w * h }, (_, i) => (i * 37) % 11 / 10) });

describe('blur-kernel downscaling', () => {
  it('parses JSON and text kernels and normalises them', () => {
    expect(parseKernel('[[1, 1], [1, 1]]')).toEqual([[0.25, 0.25], [0.25, 0.25]]);
    expect(parseKernel('# box\n1 2 1\n2 4 2\n1 2 1\n')[1][1]).toBeCloseTo(0.25, 12);
    expect(() => parseKernel('[[1, -1]]')).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => parseKernel('1 2\n3')).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });

  it('a 2x2 box kernel at x2 averages each 2x2 block', () => {
    const src = img(6, 4);
    const out = kernelResampler(parseKernel('[[1,1],[1,1]]')).down(src, 2, 3, 2);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        const d = src.data;
        const mean = (d[2 * i * 6 + 2 * j] + d[2 * i * 6 + 2 * j + 1] + d[(2 * i + 1) * 6 + 2 * j] + d[(2 * i + 1) * 6 + 2 * j + 1]) / 4;
        expect(out.data[i * 3 + j]).toBeCloseTo(mean, 6);
      }
  });

  it('a ZSSR run with a kernel file and noise trains on a different key than plain bicubic', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zssr-kernel-'));
    try {
      const kfile = path.join(dir, 'kernel.json');
      await fs.writeFile(kfile, '[[0,1,0],[1,4,1],[0,1,0]]');
      const rgb: FloatImage = { width: 12, height: 10, channels: 3, data: Float32Array.from({ length: 360 }, (_, i) => ((i * 13) % 17) / 16) };
      const zssr = { model_depth: 3, model_width: 8, crop_size: 16, num_epochs: 4, patch_size: 16 };
      const reps: ZssrReport[] = [];
      const a = await zssrUpscale(rgb, { scale: 2, preset: 'draft', zssr: { ...zssr, kernel_path: kfile, noise_std: 0.02 }, backend: 'wasm' }, { threads: 1, onReport: (r) => reps.push(r) });
      await zssrUpscale(rgb, { scale: 2, preset: 'draft', zssr, backend: 'wasm' }, { threads: 1, onReport: (r) => reps.push(r) });
      expect([a.width, a.height]).toEqual([24, 20]);
      expect(reps[0].key).not.toBe(reps[1].key);
      await expect(zssrUpscale(rgb, { scale: 2, zssr: { ...zssr, kernel_path: path.join(dir, 'missing.json') }, backend: 'wasm' })).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
