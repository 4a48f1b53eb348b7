import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeLowRes } from '../../src-main/engine/classical';
import { getUpscaler } from '../../src-main/engine/registry';
import { bicubicBackProjection } from '../../src-main/engine/zssr';
import { decodeImage } from '../../src-main/imaging';
import { srMetrics } from '../../src-main/metrics';
import { studio } from './run-studio';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-eval-'));
  const hr = path.join(dir, 'hr');
  await fs.mkdir(hr);
  // Two smooth images (one grayscale) with some texture, 50x38 (not multiples of 4: modcrop).
  const w = 50;
  const h = 38;
  const rgb = Buffer.alloc(w * h * 3);
  const gray = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = 128 + 100 * Math.sin(x / 4) * Math.cos(y / 5);
      rgb.set([v, 255 - v, (x * 5) % 256], (y * w + x) * 3);
      gray[y * w + x] = 128 + 90 * Math.sin((x + y) / 3);
    }
  await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path.join(hr, 'a.png'));
  await sharp(gray, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(hr, 'b.png'));
  await fs.writeFile(path.join(hr, 'README.md'), 'not an image');
});

describe('studio eval', () => {
  it('prints per-image and mean PSNR/SSIM as JSON, equal to the library computation', async () => {
    const r = await studio(['eval', '--hr', path.join(dir, 'hr'), '--scale', '4', '--method', 'bicubic,nearest', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { scale: number; images: number; results: { method: string; images: { name: string; psnr: number; ssim: number }[]; mean: { psnr: number; ssim: number } }[] };
    expect(out.scale).toBe(4);
    expect(out.images).toBe(2);
    expect(out.results.map((m) => m.method)).toEqual(['bicubic', 'nearest']);
    const [bicubic, nearest] = out.results;
    expect(bicubic.images.map((i) => i.name)).toEqual(['a.png', 'b.png']);
    expect(bicubic.mean.psnr).toBeCloseTo((bicubic.images[0].psnr + bicubic.images[1].psnr) / 2, 10);
    // On smooth content bicubic beats nearest.
    expect(bicubic.mean.psnr).toBeGreaterThan(nearest.mean.psnr);
    // Same numbers as running the pieces directly.
    const { rgb } = await decodeImage(path.join(dir, 'hr', 'b.png'));
    expect(rgb.channels).toBe(1);
    const { hr, lr } = makeLowRes(rgb, 4);
    const sr = await getUpscaler('bicubic').upscale(lr, { scale: 4 });
    const direct = srMetrics(hr, sr, 4);
    expect(bicubic.images[1].psnr).toBeCloseTo(direct.psnr, 10);
    expect(bicubic.images[1].ssim).toBeCloseTo(direct.ssim, 10);
  });

  it('bicubic+bp: bicubic and 10 back-projection iterations, ahead of bicubic on detail', async () => {
    const tex = path.join(dir, 'tex');
    await fs.mkdir(tex);
    const w = 48;
    const px = Buffer.alloc(w * w * 3);
    for (let i = 0; i < px.length; i++) {
      const p = Math.floor(i / 3), x = p % w, y = Math.floor(p / w);
      px[i] = ((x >> 2) + (y >> 3)) % 2 ? 200 : 40 + ((x * 7 + y * 3 + (i % 3) * 50) % 60);
    }
    await sharp(px, { raw: { width: w, height: w, channels: 3 } }).png().toFile(path.join(tex, 't.png'));
    const r = await studio(['eval', '--hr', tex, '--scale', '2', '--method', 'bicubic,bicubic+bp', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [bicubic, bp] = (JSON.parse(r.stdout) as { results: { method: string; images: { psnr: number }[] }[] }).results;
    expect(bp.method).toBe('bicubic+bp');
    expect(bp.images[0].psnr).toBeGreaterThan(bicubic.images[0].psnr + 0.3);
    const { hr, lr } = makeLowRes((await decodeImage(path.join(tex, 't.png'))).rgb, 2);
    expect(bp.images[0].psnr).toBeCloseTo(srMetrics(hr, bicubicBackProjection(lr, 2), 2).psnr, 10);
  });

  it('prints a table by default and saves outputs with --out', async () => {
    const out = path.join(dir, 'sr');
    const r = await studio(['eval', '--hr', path.join(dir, 'hr'), '--scale', '2', '--method', 'lanczos', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a\.png\s+\d+\.\d\d dB \/ 0\.\d{4}/);
    expect(r.stdout).toMatch(/mean\s+\d+\.\d\d dB/);
    expect((await fs.readdir(out)).sort()).toEqual(['a_x2_lanczos.png', 'b_x2_lanczos.png']);
    expect(await sharp(path.join(out, 'a_x2_lanczos.png')).metadata()).toMatchObject({ width: 50, height: 38 });
  });

  it('reports unknown methods and bad arguments with codes', async () => {
    const bad = await studio(['eval', '--hr', path.join(dir, 'hr'), '--method', 'no-such-model']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('E_MODEL_NOT_FOUND');
    const noHr = await studio(['eval', '--scale', '2']);
    expect(noHr.code).toBe(2);
    expect(noHr.stderr).toContain('--hr is required');
    const badScale = await studio(['eval', '--hr', dir, '--scale', '2.5']);
    expect(badScale.code).toBe(2);
    expect(badScale.stderr).toContain('--scale must be a whole number');
  });
});
