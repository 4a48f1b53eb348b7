// `npm run bench -- zssr-kernel`: ZSSR on photos whose blur is not bicubic. Set14 photos degraded
// DIV2KRK-style (a random anisotropic Gaussian kernel per photo, x2), clean and as a real camera
// would add (noise sigma 2/255 and JPEG q80); ZSSR assuming bicubic against ZSSR given the true
// kernel (the Real photo setting, its default, and without it). The Blind (estimated kernel)
// column belongs next to these.
//
// Knobs: ZSSR_KERNEL_IMAGES=<photos, default 4 (quick 2)>  ZSSR_KERNEL_PRESET=draft
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { QualityPreset } from '../src-main/contract/enhance';
import type { FloatImage } from '../src-main/contract/image';
import { imresize, modcrop } from '../src-main/engine/classical';
import { Rng } from '../src-main/engine/train/rng';
import { isotropic, kernelResampler, zssrUpscale } from '../src-main/engine/zssr';
import { decodeImage } from '../src-main/imaging';
import { srMetrics } from '../src-main/metrics';
import type { BenchContext } from './context';

/**
 * A random anisotropic Gaussian blur as DIV2KRK makes them for x2: 11x11, axis lengths
 * uniform in [0.35, 2.5] pixels (times the scale / 2), any rotation, centred, summing to 1.
 */
export function randomKernel(rng: Rng, scale = 2, size = 11): number[][] {
  const l1 = (0.35 + rng.next() * (2.5 - 0.35)) * (scale / 2);
  const l2 = (0.35 + rng.next() * (2.5 - 0.35)) * (scale / 2);
  const th = rng.next() * Math.PI;
  const c = Math.cos(th), s = Math.sin(th);
  // Inverse covariance of R diag(l1^2, l2^2) R^T.
  const a = (c * c) / (l1 * l1) + (s * s) / (l2 * l2);
  const b = c * s * (1 / (l1 * l1) - 1 / (l2 * l2));
  const d = (s * s) / (l1 * l1) + (c * c) / (l2 * l2);
  const h = (size - 1) / 2;
  const k = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => Math.exp(-0.5 * (a * (j - h) ** 2 + 2 * b * (j - h) * (i - h) + d * (i - h) ** 2))));
  const sum = k.flat().reduce((x, y) => x + y, 0);
  return k.map((r) => r.map((v) => v / sum));
}

/** HR blurred by the kernel and subsampled (the studio's kernel degradation), optionally noisy + JPEG. */
export async function degrade(hr: FloatImage, kernel: number[][], scale: number, noisy: boolean, rng: Rng): Promise<FloatImage> {
  const low = kernelResampler(kernel).down(hr, isotropic(scale), hr.width / scale, hr.height / scale);
  const u8 = Buffer.alloc(low.data.length);
  for (let i = 0; i < u8.length; i++) u8[i] = Math.max(0, Math.min(255, Math.round(low.data[i] * 255 + (noisy ? rng.normal() * 2 : 0))));
  const raw = noisy ? await sharp(await sharp(u8, { raw: { width: low.width, height: low.height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer()).raw().toBuffer() : u8;
  return { width: low.width, height: low.height, channels: 3, data: Float32Array.from(raw, (v) => v / 255) };
}

const f2 = (x: number): string => x.toFixed(2);
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;

export async function run(ctx: BenchContext): Promise<string> {
  const dir = path.join(ctx.dataDir, 'Set14');
  const n = Number(process.env.ZSSR_KERNEL_IMAGES ?? (ctx.quick ? 2 : 4));
  const preset = (process.env.ZSSR_KERNEL_PRESET ?? 'draft') as QualityPreset;
  const threads = Math.min(2, os.availableParallelism());
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort().slice(0, n) : [];
  const methods = ['bicubic', 'ZSSR (assumes bicubic)', 'ZSSR, true kernel (Real photo, the default)', 'ZSSR, true kernel, real_photo false'];
  const results: Record<string, Record<string, number[]>> = { clean: {}, noisy: {} };
  const detail: string[] = ['| photo | condition | ' + methods.join(' | ') + ' |', `|---|---|${methods.map(() => '---').join('|')}|`];
  for (const file of files) {
    const rng = new Rng(files.indexOf(file) + 1);
    const kernel = randomKernel(rng);
    const hr = modcrop((await decodeImage(path.join(dir, file))).rgb, 2);
    for (const cond of ['clean', 'noisy'] as const) {
      const lr = await degrade(hr, kernel, 2, cond === 'noisy', rng);
      const psnr = (sr: FloatImage): number => srMetrics(hr, sr, 2, { ssim: false }).psnr;
      const bic = imresize(lr, { width: hr.width, height: hr.height });
      for (let i = 0; i < bic.data.length; i++) bic.data[i] = Math.min(1, Math.max(0, bic.data[i]));
      const row = [
        psnr(bic),
        psnr(await zssrUpscale(lr, { scale: 2, preset, backend: 'wasm' }, { threads, noCache: true })),
        psnr(await zssrUpscale(lr, { scale: 2, preset, backend: 'wasm' }, { threads, noCache: true, kernel })),
        psnr(await zssrUpscale(lr, { scale: 2, preset, backend: 'wasm', zssr: { real_photo: false } }, { threads, noCache: true, kernel })),
      ];
      methods.forEach((m, i) => (results[cond][m] = [...(results[cond][m] ?? []), row[i]]));
      detail.push(`| ${file.replace('.png', '')} | ${cond} | ${row.map(f2).join(' | ')} |`);
      ctx.log(`zssr-kernel ${file} ${cond}: ${row.map(f2).join(' / ')} (load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
  const md = [
    '## ZSSR with a blur kernel',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; \`npm run bench -- zssr-kernel\`${ctx.quick ? ' --quick' : ''}; preset ${preset}, x2, ${files.length} Set14 photos.`,
    'Each photo blurred by its own random anisotropic Gaussian (11x11, axes 0.35-2.5 px, any angle: DIV2KRK\'s recipe) and',
    'subsampled; "noisy" adds Gaussian noise (sigma 2/255) and a JPEG q80 round trip. PSNR on Y, shave 2.',
    '',
    `| condition | ${methods.join(' | ')} |`,
    `|---|${methods.map(() => '---').join('|')}|`,
    ...(['clean', 'noisy'] as const).map((c) => `| ${c} | ${methods.map((m) => (results[c][m] ? f2(mean(results[c][m])) : '-')).join(' | ')} |`),
    '',
    '<details><summary>Per photo</summary>',
    '',
    ...detail,
    '',
    '</details>',
    '',
  ];
  return md.join('\n');
}
