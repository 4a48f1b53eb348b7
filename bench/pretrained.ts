// `npm run bench -- pretrained`: the ESRGAN models (slim, medium, thick) by the SR protocol on
// Set5/Set14 at x2/x3/x4 (PSNR/SSIM, seconds per image, megapixels per second) and a check of the
// models' value-range convention. `pretrained-big`: a 24 MP photo at x4 in its own process.
// `npm run bench -- adapt`: the 'adapt' method against its two parents (the pretrained model and ZSSR).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloatImage } from '../src-main/contract/image';
import { ensureBackend } from '../src-main/engine/backend';
import { makeLowRes } from '../src-main/engine/classical';
import { esrganUpscaler, PRETRAINED } from '../src-main/engine/pretrained';
import { getUpscaler, listUpscalers } from '../src-main/engine/registry';
import type { UpscaleContext } from '../src-main/engine/upscaler';
import { decodeImage } from '../src-main/imaging';
import { srMetrics } from '../src-main/metrics';
import type { BenchContext } from './context';

const here = fileURLToPath(import.meta.url);
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

// ---------- big-photo child: node --import tsx/esm bench/pretrained.ts --big <method> <w> <h> <scale>
async function bigChild(method: string, w: number, h: number, scale: number): Promise<void> {
  const sharp = (await import('sharp')).default;
  // A photo-sized input: a Set5 image enlarged (content does not change the cost of a conv net).
  const src = process.env.STUDIO_BIG_SOURCE as string;
  const { data } = await sharp(src).removeAlpha().resize(w, h, { kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  const img: FloatImage = { width: w, height: h, channels: 3, data: new Float32Array(w * h * 3) };
  for (let i = 0; i < data.length; i++) img.data[i] = data[i] / 255;
  const backend = await ensureBackend('wasm');
  let tiles = 0;
  const t0 = performance.now();
  const out = await getUpscaler(method).upscale(img, { scale, backend, onProgress: (p) => (tiles = p.total) });
  const inferSeconds = (performance.now() - t0) / 1000;
  const inferRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  // The studio's output path: 8-bit samples, then the encoder.
  const u8 = Buffer.alloc(out.data.length);
  for (let i = 0; i < u8.length; i++) u8[i] = Math.round(Math.min(1, Math.max(0, out.data[i])) * 255);
  const file = path.join(process.env.STUDIO_BIG_TMP as string, 'big.jpg');
  await sharp(u8, { raw: { width: out.width, height: out.height, channels: 3 }, limitInputPixels: false }).jpeg({ quality: 90 }).toFile(file);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ method, w, h, scale, outW: out.width, outH: out.height, tiles, inferSeconds, inferRssMiB, seconds, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), backend }));
}

interface BigResult {
  method: string;
  w: number;
  h: number;
  scale: number;
  outW: number;
  outH: number;
  tiles: number;
  inferSeconds: number;
  /** Peak RSS when inference ended (before the 8-bit copy and the encoder). */
  inferRssMiB: number;
  seconds: number;
  peakRssMiB: number;
  backend: string;
}

function spawnBig(ctx: BenchContext, method: string, w: number, h: number, scale: number): BigResult | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', here, '--big', method, String(w), String(h), String(scale)], {
    encoding: 'utf8',
    cwd: path.resolve(path.dirname(here), '..'),
    env: { ...process.env, STUDIO_BIG_SOURCE: path.join(ctx.dataDir, 'Set5', 'baby.png'), STUDIO_BIG_TMP: ctx.tmpDir },
    maxBuffer: 1 << 20,
    timeout: 3 * 3600_000,
  });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line) return `failed: ${(r.stderr || String(r.error ?? r.signal)).trim().split('\n').slice(-1)[0]}`;
  return JSON.parse(line) as BigResult;
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

/** `npm run bench -- pretrained-big`: a 24 MP photo at x4 in its own process (--quick: 2 MP). */
export async function runBig(ctx: BenchContext): Promise<string> {
  const [bw, bh] = ctx.quick ? [2000, 1000] : [6000, 4000];
  ctx.log(`big photo ${bw}x${bh} x4 esrgan-slim (child process)`);
  const big = spawnBig(ctx, 'esrgan-slim', bw, bh, 4);
  const lines = [
    '## A big photo at x4 (esrgan-slim, own process)',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; \`npm run bench -- pretrained-big\`${ctx.quick ? ' --quick' : ''}. The product path: tiled inference to a float image,`,
    'the 8-bit copy for the encoder, JPEG encoding by sharp. Input: a Set5 photo enlarged to size (content does not change the cost).',
    '',
  ];
  if (typeof big === 'string') return [...lines, big].join('\n');
  const outMP = (big.outW * big.outH) / 1e6;
  const inMP = (big.w * big.h) / 1e6;
  const budgetMiB = (outMP * 1e6 * 22 + 2 ** 30) / 2 ** 20;
  lines.push(
    '| input | output | tiles | inference s | output MP/s | total s | peak RSS after inference | peak RSS with encode | budget |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${big.w}x${big.h} (${inMP.toFixed(1)} MP) | ${big.outW}x${big.outH} (${outMP.toFixed(0)} MP) | ${big.tiles} | ${big.inferSeconds.toFixed(0)} | ${(outMP / big.inferSeconds).toFixed(3)} | ${big.seconds.toFixed(0)} | ${big.inferRssMiB} MiB | **${big.peakRssMiB} MiB** | ${budgetMiB.toFixed(0)} MiB |`,
    '',
    'Budget: inference holds the float result (12 bytes per output pixel), the float input (12 bytes per input pixel) and about',
    "0.8 GiB of runtime and tile buffers; the 8-bit copy and sharp's JPEG encoder add about 8 bytes per output pixel: **22 bytes per",
    'output pixel + 1 GiB**. Streaming finished rows (`inferTiledBands`) straight into the 8-bit buffer would drop the float result.',
    `${big.backend} backend, one thread; esrgan-medium takes about 3x this time, thick about 20x.`,
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

if (process.argv[2] === '--big') {
  const [method, w, h, s] = process.argv.slice(3);
  await bigChild(method, Number(w), Number(h), Number(s));
}
