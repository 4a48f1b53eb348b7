// `npm run bench -- kernelgan`: Blind ZSSR on DIV2KRK-style images made from Set14: each image
// blurred by its own random anisotropic Gaussian kernel and subsampled (x2, x4). Compares ZSSR
// with the estimated kernel against bicubic-kernel ZSSR, ZSSR with the true kernel and plain
// bicubic (PSNR/SSIM, Y, shave = scale), and the estimated kernel against the true one.
//
// Knobs (environment): KERNELGAN_BENCH_IMAGES=<max images>  KERNELGAN_BENCH_SCALES=2,4
// KERNELGAN_BENCH_PRESET=balanced  KERNELGAN_BENCH_ITERS=1500,3000 (the first drives ZSSR; the
// others only add kernel-error columns; 3000 = the reference's full schedule)
// KERNELGAN_BENCH_SEED=<kernel draw seed>  KERNELGAN_BENCH_ZSSR=0 (kernel estimation only)
// KERNELGAN_BENCH_REF=<images also estimated by bench/reference/kernelgan_torch.py, default 2>.
// --quick: 2 images, x2, draft, 1500 iterations, no PyTorch reference.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { QualityPreset } from '../src-main/contract/enhance';
import type { FloatImage } from '../src-main/contract/image';
import { imresize, modcrop } from '../src-main/engine/classical';
import { bicubicKernel, blindZssrConfig, fromMatrix, kernelError, kernelForScale, randomAnisotropicKernel, runKernelGan, toMatrix, zeroizeNegligible, type Kernel } from '../src-main/engine/kernelgan';
import { Rng } from '../src-main/engine/train/rng';
import { zssrUpscale } from '../src-main/engine/zssr';
import { isotropic, kernelResampler } from '../src-main/engine/zssr/resample';
import { decodeImage } from '../src-main/imaging';
import { srMetrics } from '../src-main/metrics';
import type { BenchContext } from './context';

const PY = '/usr/bin/python3';
const REF_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference', 'kernelgan_torch.py');

function torchMissing(): string | undefined {
  if (!fs.existsSync(PY)) return `${PY} is missing`;
  const r = spawnSync(PY, ['-c', 'import torch, scipy, PIL'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'PyTorch, SciPy or PIL is not installed for /usr/bin/python3 (apt-get install python3-torch python3-scipy python3-pil)';
}

/** The PyTorch reference on the same LR image: its raw kernel, post-processed as the studio does, and its time. */
async function torchEstimate(lr: FloatImage, iterations: number, threads: number, tmp: string): Promise<{ k2: Kernel; s: number }> {
  const file = path.join(tmp, `kernelgan-ref-${process.pid}.png`);
  const u8 = Buffer.from(Array.from(lr.data, (v) => Math.round(v * 255)));
  await sharp(u8, { raw: { width: lr.width, height: lr.height, channels: lr.channels } }).png().toFile(file);
  const r = spawnSync(PY, [REF_SCRIPT, file, String(iterations), '750', String(threads), '0'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  fs.rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(`kernelgan_torch.py failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { kernel: number[][]; seconds: number };
  return { k2: zeroizeNegligible(fromMatrix(j.kernel), 40), s: j.seconds };
}

const list = (v: string | undefined, d: string[]): string[] => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : d);
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

function clamp(img: FloatImage): FloatImage {
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.min(1, Math.max(0, img.data[i]));
  return img;
}

/** Rounded to 8 bits, as a photo file would be. */
function to8bit(img: FloatImage): FloatImage {
  return { ...img, data: img.data.map((v) => Math.min(255, Math.max(0, Math.round(v * 255))) / 255) };
}

/** The test image: HR cropped to a multiple of 4, LR = (HR correlated with k) subsampled, 8-bit. */
export function degrade(img: FloatImage, k: Kernel, scale: number): { hr: FloatImage; lr: FloatImage } {
  const hr = modcrop(img, 4);
  const lr = to8bit(kernelResampler(toMatrix(k)).down(hr, isotropic(scale), hr.width / scale, hr.height / scale));
  return { hr, lr };
}

interface Row {
  name: string;
  scale: number;
  bicubic: { psnr: number; ssim: number };
  zssrBicubic: { psnr: number; ssim: number; s: number };
  zssrRealBicubic?: { psnr: number; ssim: number; s: number };
  blind?: { psnr: number; ssim: number; s: number };
  oracle?: { psnr: number; ssim: number; s: number };
  /** The PyTorch reference's estimate (same iterations as the first count): kernel PSNR and seconds. */
  ref?: { kernelPsnr: number; s: number };
  estimateS: number;
  /** Kernel PSNR of the estimate per iteration count, and of the bicubic kernel. */
  kernelPsnr: number[];
  kernelMse: number;
  bicubicKernelPsnr: number;
}

export async function run(ctx: BenchContext): Promise<string> {
  const dir = path.join(ctx.dataDir, 'Set14');
  const md: string[] = ['## Blind ZSSR (KernelGAN) on DIV2KRK-style images', ''];
  if (!fs.existsSync(dir)) return [...md, `Set14 not found in ${ctx.dataDir}.`].join('\n');
  const maxImages = Number(process.env.KERNELGAN_BENCH_IMAGES ?? (ctx.quick ? 2 : 14));
  const scales = list(process.env.KERNELGAN_BENCH_SCALES, ctx.quick ? ['2'] : ['2', '4']).map(Number);
  const preset = (process.env.KERNELGAN_BENCH_PRESET ?? (ctx.quick ? 'draft' : 'balanced')) as QualityPreset;
  const iters = list(process.env.KERNELGAN_BENCH_ITERS, ['1500']).map(Number);
  const seed = Number(process.env.KERNELGAN_BENCH_SEED ?? 1);
  const withZssr = process.env.KERNELGAN_BENCH_ZSSR !== '0';
  const refMissing = torchMissing();
  const refImages = refMissing ? 0 : Number(process.env.KERNELGAN_BENCH_REF ?? (ctx.quick ? 0 : 2));
  const threads = Math.min(2, os.availableParallelism());
  const files = fs.readdirSync(dir).filter((f) => /\.png$/i.test(f)).sort().slice(0, maxImages);
  const rows: Row[] = [];
  const load0 = os.loadavg()[0];

  for (const [idx, f] of files.entries()) {
    const name = f.replace(/\.png$/i, '');
    const img = (await decodeImage(path.join(dir, f))).rgb;
    // One kernel per image (drawn from the image's index), used at both scales (x4: applied twice).
    const truth = randomAnisotropicKernel(new Rng(seed * 1000 + idx));
    for (const scale of scales) {
      const kTrue = scale === 2 ? truth.k2 : truth.k4;
      const { hr, lr } = degrade(img, kTrue, scale);
      const bic = srMetrics(hr, clamp(imresize(lr, { width: hr.width, height: hr.height })), scale);
      // The PyTorch reference first, then the studio, back to back so both see about the same load.
      const ref = idx < refImages ? await torchEstimate(lr, iters[0], threads, ctx.tmpDir) : undefined;
      if (ref) ctx.log(`kernelgan ${name} x${scale} PyTorch reference ${iters[0]} iterations: ${ref.s.toFixed(1)} s, kernel PSNR ${kernelError(kernelForScale(ref.k2, scale), kTrue).psnr.toFixed(2)} dB`);
      const zssrRun = async (zssr: Parameters<typeof zssrUpscale>[1]['zssr'], kernel?: number[][]): Promise<{ psnr: number; ssim: number; s: number }> => {
        const t0 = performance.now();
        const sr = await zssrUpscale(lr, { scale, preset, backend: 'wasm', ...(zssr ? { zssr } : {}) }, { threads, ...(kernel ? { kernel } : {}) });
        return { ...srMetrics(hr, sr, scale), s: (performance.now() - t0) / 1000 };
      };
      const estimates: { k2: Kernel; s: number }[] = [];
      for (const n of iters) {
        const t0 = performance.now();
        const r = await runKernelGan(lr, { iterations: n, backend: 'wasm' });
        estimates.push({ k2: r.k2, s: (performance.now() - t0) / 1000 });
        ctx.log(`kernelgan ${name} x${scale} ${n} iterations: ${estimates.at(-1)!.s.toFixed(1)} s, kernel PSNR ${kernelError(kernelForScale(r.k2, scale), kTrue).psnr.toFixed(2)} dB`);
      }
      const kEst = kernelForScale(estimates[0].k2, scale);
      const blindCfg = blindZssrConfig(scale);
      const zssrBicubic = withZssr ? await zssrRun(undefined) : { psnr: NaN, ssim: NaN, s: NaN };
      const zssrRealBicubic = ctx.quick || !withZssr ? undefined : await zssrRun(blindCfg);
      const blindRun = withZssr ? await zssrRun(blindCfg, toMatrix(kEst)) : undefined;
      const oracle = withZssr ? await zssrRun(blindCfg, toMatrix(kTrue)) : undefined;
      const bicK: Kernel = { size: 4 * scale, k: Float64Array.from(bicubicKernel(scale)) };
      const row: Row = {
        name,
        scale,
        bicubic: bic,
        zssrBicubic,
        ...(zssrRealBicubic ? { zssrRealBicubic } : {}),
        ...(blindRun ? { blind: { ...blindRun, s: blindRun.s + estimates[0].s } } : {}),
        ...(oracle ? { oracle } : {}),
        ...(ref ? { ref: { kernelPsnr: kernelError(kernelForScale(ref.k2, scale), kTrue).psnr, s: ref.s } } : {}),
        estimateS: estimates[0].s,
        kernelPsnr: estimates.map((e) => kernelError(kernelForScale(e.k2, scale), kTrue).psnr),
        kernelMse: kernelError(kEst, kTrue).mse,
        bicubicKernelPsnr: kernelError(bicK, kTrue).psnr,
      };
      rows.push(row);
      if (blindRun && oracle) {
        ctx.log(
          `kernelgan ${name} x${scale}: bicubic ${bic.psnr.toFixed(2)}, zssr ${zssrBicubic.psnr.toFixed(2)}, ${zssrRealBicubic ? `real-photo zssr ${zssrRealBicubic.psnr.toFixed(2)}, ` : ''}blind ${blindRun.psnr.toFixed(2)}, true kernel ${oracle.psnr.toFixed(2)} dB (load ${os.loadavg()[0].toFixed(1)})`,
        );
      }
    }
  }

  const real = rows.some((r) => r.zssrRealBicubic);
  md.push(
    `Measured ${ctx.date} on ${ctx.machine}; ${rows.length} image/scale pairs from Set14, ZSSR preset **${preset}** on the wasm kernels (${threads} threads), KernelGAN ${iters[0]} iterations on the tfjs wasm backend. Load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: times are upper bounds on a shared machine.`,
    '',
    'Test images in the manner of DIV2KRK: each image gets its own kernel, 11x11 anisotropic Gaussian, covariance eigenvalues U(0.6, 5), rotation U(-pi, pi), x(1 + U(-0.25, 0.25)) per value, normalised; the x4 kernel is that kernel applied twice (31x31). LR = the image correlated with the kernel (centred by its centre of mass on each block, as ZSSR applies kernels) and subsampled, rounded to 8 bits. PSNR/SSIM on Y, shave = scale.',
    '',
    `Rows: bicubic interpolation; ZSSR with its default bicubic kernel and settings (what ZSSR gives without Blind);${real ? ' the same with the Real photo settings Blind uses (noise 0.0125 in the sons, no back-projection, no ensemble);' : ''} **Blind** = KernelGAN's kernel + Real photo settings (its time includes the estimate); true kernel = the same settings with the kernel the image was made with (the ceiling for any estimate). Kernel PSNR = 10 log10(max(k)^2 / MSE) between the estimated and the true kernel, both centred by their centre of mass (the bicubic kernel's score for comparison).`,
    '',
  );
  const f2 = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(2));
  for (const scale of scales) {
    const rs = rows.filter((r) => r.scale === scale);
    if (!rs.length) continue;
    md.push(`### x${scale} (${rs.length} images)`, '');
    const withRef = rs.filter((r) => r.ref);
    const kLine = `Kernel estimation: kernel PSNR ${iters.map((n, i) => `${mean(rs.map((r) => r.kernelPsnr[i])).toFixed(2)} dB after ${n} iterations`).join(', ')} (MSE ${mean(rs.map((r) => r.kernelMse)).toExponential(2)}, ${mean(rs.map((r) => r.estimateS)).toFixed(0)} s per estimate); the bicubic kernel scores ${mean(rs.map((r) => r.bicubicKernelPsnr)).toFixed(2)} dB against the same true kernels.`;
    const refLine = withRef.length
      ? ` PyTorch reference (bench/reference/kernelgan_torch.py: the layered generator run on the crops, autograd; ${iters[0]} iterations, ${threads} threads) on the first ${withRef.length}: kernel PSNR ${mean(withRef.map((r) => r.ref!.kernelPsnr)).toFixed(2)} dB against the studio's ${mean(withRef.map((r) => r.kernelPsnr[0])).toFixed(2)} dB on the same images; ${mean(withRef.map((r) => r.ref!.s)).toFixed(0)} s against ${mean(withRef.map((r) => r.estimateS)).toFixed(0)} s (studio / PyTorch time **${(mean(withRef.map((r) => r.estimateS)) / mean(withRef.map((r) => r.ref!.s))).toFixed(2)}**).`
      : '';
    if (!withZssr) {
      md.push(kLine + refLine, '');
      continue;
    }
    md.push('| method | PSNR | SSIM | s / image |', '|---|---|---|---|');
    md.push(`| bicubic interpolation | ${mean(rs.map((r) => r.bicubic.psnr)).toFixed(2)} | ${mean(rs.map((r) => r.bicubic.ssim)).toFixed(4)} | - |`);
    md.push(`| ZSSR, bicubic kernel (default settings) | ${mean(rs.map((r) => r.zssrBicubic.psnr)).toFixed(2)} | ${mean(rs.map((r) => r.zssrBicubic.ssim)).toFixed(4)} | ${mean(rs.map((r) => r.zssrBicubic.s)).toFixed(0)} |`);
    if (real) {
      const rr = rs.filter((r) => r.zssrRealBicubic).map((r) => r.zssrRealBicubic!);
      md.push(`| ZSSR, bicubic kernel, Real photo settings | ${mean(rr.map((r) => r.psnr)).toFixed(2)} | ${mean(rr.map((r) => r.ssim)).toFixed(4)} | ${mean(rr.map((r) => r.s)).toFixed(0)} |`);
    }
    md.push(`| **Blind ZSSR** (estimated kernel) | **${mean(rs.map((r) => r.blind!.psnr)).toFixed(2)}** | **${mean(rs.map((r) => r.blind!.ssim)).toFixed(4)}** | ${mean(rs.map((r) => r.blind!.s)).toFixed(0)} (estimate ${mean(rs.map((r) => r.estimateS)).toFixed(0)}) |`);
    md.push(`| ZSSR, true kernel | ${mean(rs.map((r) => r.oracle!.psnr)).toFixed(2)} | ${mean(rs.map((r) => r.oracle!.ssim)).toFixed(4)} | ${mean(rs.map((r) => r.oracle!.s)).toFixed(0)} |`);
    md.push('', kLine + refLine, '');
  }
  if (refMissing) md.push(`PyTorch reference not run: ${refMissing}.`, '');
  md.push(
    '<details><summary>Per image</summary>',
    '',
    `| image | scale | bicubic | ZSSR | ${real ? 'ZSSR real photo | ' : ''}Blind | true kernel | kernel PSNR (${iters.join(' / ')} it.) | PyTorch ref. kernel PSNR | bicubic kernel PSNR | estimate s | PyTorch ref. s |`,
    `|---|---|---|---|${real ? '---|' : ''}---|---|---|---|---|---|---|`,
    ...rows.map(
      (r) =>
        `| ${r.name} | x${r.scale} | ${f2(r.bicubic.psnr)} | ${f2(r.zssrBicubic.psnr)} | ${real ? `${f2(r.zssrRealBicubic?.psnr)} | ` : ''}${f2(r.blind?.psnr)} | ${f2(r.oracle?.psnr)} | ${r.kernelPsnr.map((p) => p.toFixed(2)).join(' / ')} | ${f2(r.ref?.kernelPsnr)} | ${r.bicubicKernelPsnr.toFixed(2)} | ${r.estimateS.toFixed(0)} | ${r.ref ? r.ref.s.toFixed(0) : '-'} |`,
    ),
    '',
    '</details>',
    '',
  );
  return md.join('\n');
}
