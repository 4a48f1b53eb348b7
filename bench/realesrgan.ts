// `npm run bench -- realesrgan [--quick]`: quality of the built-in Real-ESRGAN methods by the SR
// protocol on Set5 / Set14 at x4 (PSNR / SSIM, bicubic beside them), and the hallucination map's
// two means on the same results. Speed rows of these nets are the compute section's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBackend } from '../src-main/engine/backend';
import { makeLowRes } from '../src-main/engine/classical';
import { hallucinationMap } from '../src-main/engine/detail';
import { getUpscaler } from '../src-main/engine/registry';
import { decodeImage } from '../src-main/imaging';
import { srMetrics } from '../src-main/metrics';
import type { BenchContext } from './context';

const METHODS = ['bicubic', 'realesrgan-fast', 'realesrgan'];

export async function run(ctx: BenchContext): Promise<string> {
  const backend = await ensureBackend('wasm');
  const sets = (ctx.quick ? ['Set5'] : ['Set5', 'Set14']).filter((s) => fs.existsSync(path.join(ctx.dataDir, s)));
  const rows = ['| set | method | PSNR dB | SSIM | map: finer than the photo | map: differs from the photo | s / image |', '|---|---|---|---|---|---|---|'];
  for (const set of sets) {
    const dir = path.join(ctx.dataDir, set);
    const files = fs
      .readdirSync(dir)
      .filter((f) => /\.(png|bmp)$/i.test(f))
      .sort()
      .slice(0, ctx.quick ? 2 : undefined)
      .map((f) => path.join(dir, f));
    for (const m of METHODS) {
      ctx.log(`${set} x4 ${m}`);
      const sum = { psnr: 0, ssim: 0, inferred: 0, changed: 0, seconds: 0 };
      for (const f of files) {
        const { hr, lr } = makeLowRes((await decodeImage(f)).rgb, 4);
        const t0 = performance.now();
        const sr = await getUpscaler(m).upscale(lr, { scale: 4, backend });
        sum.seconds += (performance.now() - t0) / 1000;
        const q = srMetrics(hr, sr, 4);
        const map = hallucinationMap(sr, lr);
        sum.psnr += q.psnr;
        sum.ssim += q.ssim;
        sum.inferred += map.inferred;
        sum.changed += map.changed;
      }
      const n = files.length;
      rows.push(`| ${set} (${n}) | ${m} | ${(sum.psnr / n).toFixed(2)} | ${(sum.ssim / n).toFixed(4)} | ${(sum.inferred / n).toFixed(4)} | ${(sum.changed / n).toFixed(4)} | ${(sum.seconds / n).toFixed(1)} |`);
    }
  }
  return [
    '## Real-ESRGAN (built in): quality on Set5 / Set14 x4',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; tfjs ${backend} backend; 1-minute load average ${os.loadavg()[0].toFixed(1)} at the end. \`npm run bench -- realesrgan\`${ctx.quick ? ' --quick (Set5, first 2 images)' : ''}.`,
    'LR = MATLAB-style antialiased bicubic downscale rounded to 8 bits; PSNR/SSIM on Y (BT.601), shave = 4. The map columns are the',
    "means of the hallucination map's two measures (docs/models.md). Seconds per image on a shared machine; the speed rows of these nets",
    'belong to the compute section.',
    '',
    ...rows,
    '',
    'Low PSNR is expected and is not a defect: Real-ESRGAN is trained with a GAN and perceptual loss on synthetic real-world damage',
    '(blur, noise, JPEG), so it draws plausible texture instead of the mean-squared-error optimum; its results are judged by eye and',
    'by no-reference measures (NIQE / PI), not by PSNR against a clean bicubic-downscaled original.',
    'The bicubic rows are the floor of the map measures (a bicubic enlargement invents nothing, but the resampling round trip is not',
    'exact); the nets put 3-4x that much detail finer than the photo and change 2-3x as much at its own resolution.',
    '',
  ].join('\n');
}
