// `npm run bench -- pretrained`: the ESRGAN models (slim, medium, thick) by the SR protocol on
// Set5/Set14 at x2/x3/x4 (PSNR/SSIM, seconds per image, megapixels per second) and a check of the
// models' value-range convention. `pretrained-big`: a 24 MP photo at x4 in its own process.
// `npm run bench -- adapt`: the 'adapt' method against its two parents (the pretrained model and ZSSR).
import fs from 'node:fs';
import path from 'node:path';
import { ensureBackend } from '../src-main/engine/backend';
import { makeLowRes } from '../src-main/engine/classical';
import { esrganUpscaler, PRETRAINED } from '../src-main/engine/pretrained';
import { getUpscaler, listUpscalers } from '../src-main/engine/registry';
import type { UpscaleContext } from '../src-main/engine/upscaler';
import { decodeImage } from '../src-main/imaging';
import { srMetrics } from '../src-main/metrics';
import { timedEnhance, type BenchContext } from './context';

const REFERENCE = 'ESRGAN-RRDB (23 RRDBs, PSNR-oriented) published x4: Set5 32.73 dB, Set14 28.99 dB; bicubic 28.42 / 26.00.';

interface Row {
  set: string;
  scale: number;
  method: string;
  psnr: number;
  ssim: number;
  seconds: number;
  /** Output megapixels per second. */
  mps: number;
  images: number;
}

function images(dir: string, limit?: number): string[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(png|jpe?g|bmp|tiff?)$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  return limit ? files.slice(0, limit) : files;
}

async function score(set: string, files: string[], scale: number, method: string, ctx: Omit<UpscaleContext, 'scale'>, up = getUpscaler(method)): Promise<Row> {
  let psnr = 0;
  let ssim = 0;
  let seconds = 0;
  let px = 0;
  for (const f of files) {
    const { hr, lr } = makeLowRes((await decodeImage(f)).rgb, scale);
    const t0 = performance.now();
    const sr = await up.upscale(lr, { ...ctx, scale });
    seconds += (performance.now() - t0) / 1000;
    const m = srMetrics(hr, sr, scale);
    psnr += m.psnr;
    ssim += m.ssim;
    px += hr.width * hr.height;
  }
  const n = files.length;
  return { set, scale, method, psnr: psnr / n, ssim: ssim / n, seconds: seconds / n, mps: px / 1e6 / seconds, images: n };
}

const f2 = (x: number) => x.toFixed(2);

function table(rows: Row[]): string[] {
  const out = ['| set | scale | method | PSNR dB | SSIM | s / image | output MP/s |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) out.push(`| ${r.set} (${r.images}) | x${r.scale} | ${r.method} | ${f2(r.psnr)} | ${r.ssim.toFixed(4)} | ${r.seconds.toFixed(2)} | ${r.mps.toFixed(3)} |`);
  return out;
}

// ---------- big photo: `studio enhance` itself, peak RSS of its largest process from GNU time.

interface BigResult {
  w: number;
  h: number;
  outW: number;
  outH: number;
  seconds: number;
  peakRssMiB: number;
  fileMiB: number;
}

async function runBigPhoto(ctx: BenchContext, method: string, w: number, h: number, scale: number): Promise<BigResult | string> {
  const sharp = (await import('sharp')).default;
  const dir = path.join(ctx.tmpDir, 'big');
  fs.mkdirSync(dir, { recursive: true });
  // A photo-sized input: a Set5 image enlarged (content does not change the cost of a conv net).
  const photo = path.join(dir, 'photo.jpg');
  await sharp(path.join(ctx.dataDir, 'Set5', 'baby.png')).resize(w, h, { kernel: 'lanczos3' }).jpeg({ quality: 92 }).toFile(photo);
  const r = timedEnhance(photo, ['--scale', String(scale), '--method', method, '--backend', 'wasm'], path.join(dir, 'out'), path.join(dir, 'data'));
  if (typeof r === 'string') return r;
  const meta = await sharp(r.output, { limitInputPixels: false }).metadata();
  return { w, h, outW: meta.width ?? 0, outH: meta.height ?? 0, seconds: r.seconds, peakRssMiB: r.peakRssMiB, fileMiB: fs.statSync(r.output).size / 2 ** 20 };
}

export async function run(ctx: BenchContext): Promise<string> {
  const backend = await ensureBackend('wasm');
  const sets = (ctx.quick ? ['Set5'] : ['Set5', 'Set14']).filter((s) => fs.existsSync(path.join(ctx.dataDir, s)));
  const scales = ctx.quick ? [4] : [2, 3, 4];
  const lines = [
    '## Pretrained models (ESRGAN slim / medium / thick)',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; tfjs ${backend} backend (one thread), default tiles. \`npm run bench -- pretrained\`${ctx.quick ? ' --quick (Set5, x4 only)' : ''}.`,
    'LR = MATLAB-style antialiased bicubic downscale rounded to 8 bits; PSNR/SSIM on Y (BT.601), shave = scale. Times are per image',
    'on a machine shared with other work, so treat them as ±30 %.',
    '',
  ];
  const rows: Row[] = [];
  for (const set of sets) {
    const files = images(path.join(ctx.dataDir, set));
    for (const scale of scales) {
      rows.push(await score(set, files, scale, 'bicubic', {}));
      for (const spec of PRETRAINED) {
        ctx.log(`${set} x${scale} ${spec.id}`);
        rows.push(await score(set, files, scale, spec.id, { backend }));
      }
    }
  }
  lines.push(...table(rows), '', `Reference: ${REFERENCE}`, '');

  // Which value range do the RDN nets (slim, medium) expect? UpscalerJS says [0,255]; measure both.
  ctx.log('value range check');
  const set5 = images(path.join(ctx.dataDir, 'Set5'));
  const rangeRows: string[] = ['| model | scale | range [0,1] | range [0,255] |', '|---|---|---|---|'];
  for (const spec of PRETRAINED.filter((p) => p.id !== 'esrgan-thick')) {
    for (const scale of ctx.quick ? [4] : [2, 4]) {
      const a = await score('Set5', set5, scale, spec.id, { backend }, esrganUpscaler({ ...spec, range: 1 }));
      const b = await score('Set5', set5, scale, spec.id, { backend }, esrganUpscaler({ ...spec, range: 255 }));
      rangeRows.push(`| ${spec.id} | x${scale} | ${f2(a.psnr)} | ${f2(b.psnr)} |`);
    }
  }
  lines.push(
    '### Value range of slim/medium (Set5 PSNR dB)',
    '',
    'The nets are almost scale-invariant (ReLU convolutions with small biases), so both conventions work; the studio follows the',
    "packages' declaration ([0,255] for the RDN models slim and medium, [0,1] for thick).",
    '',
    ...rangeRows,
    '',
  );

  return lines.join('\n');
}

/** `npm run bench -- pretrained-big`: a 24 MP photo at x4 through `studio enhance` (--quick: 2 MP). */
export async function runBig(ctx: BenchContext): Promise<string> {
  const [bw, bh] = ctx.quick ? [2000, 1000] : [6000, 4000];
  ctx.log(`big photo ${bw}x${bh} x4 esrgan-slim (studio enhance)`);
  const big = await runBigPhoto(ctx, 'esrgan-slim', bw, bh, 4);
  const lines = [
    '## A big photo at x4 (esrgan-slim through `studio enhance`)',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; \`npm run bench -- pretrained-big\`${ctx.quick ? ' --quick' : ''}.`,
    '`studio enhance photo.jpg --scale 4 --method esrgan-slim --backend wasm` on a Set5 photo enlarged to size (content does not',
    'change the cost); wall time of the whole command, peak RSS of its largest process (the worker) from GNU time.',
    '',
  ];
  if (typeof big === 'string') return [...lines, big].join('\n');
  const outMP = (big.outW * big.outH) / 1e6;
  const inMP = (big.w * big.h) / 1e6;
  const budgetMiB = (outMP * 1e6 * 4 + inMP * 1e6 * 12 + 2 ** 30) / 2 ** 20;
  lines.push(
    '| input | output | total s | output MP/s | peak RSS | budget | JPEG |',
    '|---|---|---|---|---|---|---|',
    `| ${big.w}x${big.h} (${inMP.toFixed(1)} MP) | ${big.outW}x${big.outH} (${outMP.toFixed(0)} MP) | ${big.seconds.toFixed(0)} | ${(outMP / big.seconds).toFixed(3)} | **${big.peakRssMiB} MiB** | ${budgetMiB.toFixed(0)} MiB | ${big.fileMiB.toFixed(0)} MiB |`,
    '',
    'Finished rows go from the tiles straight into the 8-bit output (no float copy of the result), and JPEGs this size are',
    'written without optimised Huffman tables (which would hold every DCT coefficient). Budget: the 8-bit output and its',
    'encoder (about 4 bytes per output pixel), the float input (12 bytes per input pixel) and 1 GiB of runtime and tile buffers.',
    'wasm backend, one thread; esrgan-medium takes about 3x this time, thick about 20x.',
  );
  return lines.join('\n');
}

/**
 * `npm run bench -- adapt`: the adapt method against its two parents, the pretrained model it
 * starts from (esrgan-slim) and zero-shot SR (ZSSR, draft preset), on Set5 (Set14 would take hours).
 */
export async function runAdapt(ctx: BenchContext): Promise<string> {
  const backend = await ensureBackend('wasm');
  const lines = [
    '## Adapt (ESRGAN prior fine-tuned on the photo)',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; \`npm run bench -- adapt\`${ctx.quick ? ' --quick' : ''}. Same protocol as above (Y, shave = scale).`,
    'adapt = esrgan-slim fine-tuned for 200 steps (balanced preset) on pairs cut from the LR photo itself; zssr with its draft preset.',
    '',
  ];
  if (!listUpscalers().some((u) => u.info.id === 'adapt')) return [...lines, 'Not measured: no `adapt` method in the registry.'].join('\n');
  const files = images(path.join(ctx.dataDir, 'Set5'), ctx.quick ? 2 : undefined);
  const rows: Row[] = [];
  const methods: [string, UpscaleContext['preset']][] = [
    ['bicubic', undefined],
    ['esrgan-slim', undefined],
    ['adapt', ctx.quick ? 'draft' : 'balanced'],
    ['zssr', 'draft'],
  ];
  for (const scale of ctx.quick ? [4] : [2, 4]) {
    for (const [m, preset] of methods) {
      if (!listUpscalers().some((u) => u.info.id === m)) continue;
      ctx.log(`Set5 x${scale} ${m}`);
      rows.push(await score('Set5', files, scale, preset ? `${m} (${preset})` : m, { backend, ...(preset ? { preset } : {}) }, getUpscaler(m)));
    }
  }
  lines.push(...table(rows));
  return lines.join('\n');
}
