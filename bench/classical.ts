// `npm run bench -- classical`: quality of the interpolation methods by the SR protocol (with the
// published bicubic baselines and the numpy reference side by side), and their speed/memory at
// x4 on a synthetic 12 MP photo (each method in its own process, so peak RSS is its own).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateImages, listImages, type MethodScores } from '../src-main/cli/commands/eval';
import type { BenchContext } from './context';

const METHODS = ['nearest', 'bilinear', 'bicubic', 'lanczos'] as const;
const SCALES = [2, 3, 4] as const;
/** Bicubic baselines published with the SR benchmarks (MATLAB imresize, Y channel, shave = scale). */
const PUBLISHED: Record<string, Record<number, number>> = {
  Set5: { 2: 33.66, 3: 30.39, 4: 28.42 },
  Set14: { 2: 30.24, 3: 27.55, 4: 26.0 },
};
const TOLERANCE_DB = 0.05;

const here = fileURLToPath(import.meta.url);

// ---------- speed child: `node --import tsx/esm bench/classical.ts --speed <method> <w> <h> <scale> <api>`
interface SpeedResult {
  method: string;
  api: string;
  inW: number;
  inH: number;
  outW: number;
  outH: number;
  seconds: number;
  peakRssMiB: number;
}

/** A photo-like synthetic image: smooth shading, edges and fine noise (deterministic). */
function syntheticPhoto(w: number, h: number): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  let s = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const noise = ((s >>> 16) & 15) - 8;
      const edge = (Math.floor(x / 97) + Math.floor(y / 89)) % 2 ? 40 : 0;
      const i = (y * w + x) * 3;
      px[i] = Math.max(0, Math.min(255, 90 + 80 * Math.sin(x / 300) + edge + noise));
      px[i + 1] = Math.max(0, Math.min(255, 110 + 70 * Math.cos(y / 250) + noise));
      px[i + 2] = Math.max(0, Math.min(255, 60 + 0.02 * (x + y) + edge / 2 + noise));
    }
  }
  return px;
}

async function speedChild(method: string, w: number, h: number, scale: number, api: string): Promise<void> {
  const src = syntheticPhoto(w, h);
  let outW = 0;
  let outH = 0;
  const t0 = performance.now();
  if (api === 'libvips') {
    const sharp = (await import('sharp')).default;
    const kernel = method === 'lanczos' ? 'lanczos3' : method === 'bicubic' ? 'cubic' : method === 'bilinear' ? 'linear' : 'nearest';
    const r = await sharp(src, { raw: { width: w, height: h, channels: 3 }, limitInputPixels: false })
      .resize(Math.round(w * scale), Math.round(h * scale), { kernel })
      .raw()
      .toBuffer({ resolveWithObject: true });
    ({ width: outW, height: outH } = r.info);
  } else if (api === 'upscaler') {
    const { getUpscaler } = await import('../src-main/engine/registry');
    const f = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) f[i] = src[i] / 255;
    const out = await getUpscaler(method).upscale({ width: w, height: h, channels: 3, data: f }, { scale });
    ({ width: outW, height: outH } = out);
  } else {
    const { resizeToBuffer } = await import('../src-main/engine/classical');
    const kernel = method === 'lanczos' ? 'lanczos3' : (method as 'nearest' | 'bilinear' | 'bicubic');
    const out = resizeToBuffer({ width: w, height: h, channels: 3, data: src }, { width: Math.round(w * scale), height: Math.round(h * scale) }, { kernel, depth: 8 });
    ({ width: outW, height: outH } = out);
  }
  const seconds = (performance.now() - t0) / 1000;
  const res: SpeedResult = { method, api, inW: w, inH: h, outW, outH, seconds, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
  console.log(JSON.stringify(res));
}

function runSpeed(method: string, w: number, h: number, scale: number, api: string): SpeedResult | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', here, '--speed', method, String(w), String(h), String(scale), api], {
    encoding: 'utf8',
    cwd: path.resolve(path.dirname(here), '..'),
    maxBuffer: 1 << 20,
    timeout: 15 * 60_000,
  });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line) return `failed: ${(r.stderr || String(r.error ?? r.signal)).trim().split('\n').slice(-1)[0]}`;
  return JSON.parse(line) as SpeedResult;
}

// ---------- numpy reference (the protocol in /work/shared/bench/srproto.py)
function numpyReference(ctx: BenchContext, sets: string[]): { values: Map<string, { psnr: number; ssim: number }>; note: string } {
  const values = new Map<string, { psnr: number; ssim: number }>();
  const script = process.env.STUDIO_SRPROTO ?? path.resolve(ctx.dataDir, '..', '..', 'bench', 'srproto.py');
  if (!fs.existsSync(script)) return { values, note: `numpy reference skipped: ${script} not found` };
  const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import numpy, scipy, PIL'], { encoding: 'utf8' }).status === 0);
  if (!py) return { values, note: 'numpy reference skipped: python3 with numpy, scipy and Pillow not available' };
  const r = spawnSync(py, [script, ...sets.map((s) => path.join(ctx.dataDir, s))], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.status !== 0) return { values, note: `numpy reference failed: ${(r.stderr ?? '').trim().split('\n').pop()}` };
  for (const m of r.stdout.matchAll(/^(\S+) x(\d) n=\d+: bicubic PSNR ([\d.]+) SSIM ([\d.]+)/gm)) {
    values.set(`${m[1]} x${m[2]}`, { psnr: Number(m[3]), ssim: Number(m[4]) });
  }
  return { values, note: `numpy reference: \`${py} ${path.relative(process.cwd(), script) || script}\`` };
}

const f2 = (x: number) => x.toFixed(2);
const f4 = (x: number) => x.toFixed(4);

export async function run(ctx: BenchContext): Promise<string> {
  const sets = (ctx.quick ? ['Set5'] : ['Set5', 'Set14']).filter((s) => fs.existsSync(path.join(ctx.dataDir, s)));
  const lines: string[] = ['## Classical interpolation', '', `Measured ${ctx.date} on ${ctx.machine}.`, ''];

  // Quality
  const quality = new Map<string, MethodScores[]>();
  for (const set of sets) {
    const files = await listImages([path.join(ctx.dataDir, set)]);
    for (const scale of SCALES) {
      ctx.log(`quality ${set} x${scale} (${files.length} images)`);
      quality.set(`${set} x${scale}`, await evaluateImages(files, { scale, methods: [...METHODS] }));
    }
  }
  ctx.log('numpy reference');
  const ref = numpyReference(ctx, sets);
  lines.push(
    '### Quality (PSNR dB / SSIM, Y channel, shave = scale)',
    '',
    `Data: \`${ctx.dataDir}\`. LR = MATLAB-style antialiased bicubic downscale rounded to 8 bits; \`studio eval\` computes the same numbers.`,
    '',
    '| set | scale | nearest | bilinear | bicubic | lanczos | bicubic published | Δ | numpy reference (bicubic) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  let failures = 0;
  for (const [key, res] of quality) {
    const [set, sx] = key.split(' ');
    const scale = Number(sx.slice(1));
    const by = (m: string) => res.find((r) => r.method === m)!.mean;
    const bic = by('bicubic');
    const pub = PUBLISHED[set]?.[scale];
    const delta = pub === undefined ? NaN : bic.psnr - pub;
    const ok = pub !== undefined && Math.abs(Math.round(bic.psnr * 100) / 100 - pub) <= TOLERANCE_DB;
    if (pub !== undefined && !ok) failures++;
    const r = ref.values.get(key);
    lines.push(
      `| ${set} | x${scale} | ${METHODS.map((m) => `${f2(by(m).psnr)} / ${f4(by(m).ssim)}`).join(' | ')} | ${pub === undefined ? '-' : f2(pub)} | ${
        pub === undefined ? '-' : `${delta >= 0 ? '+' : ''}${delta.toFixed(3)} ${ok ? '✓' : '✗'}`
      } | ${r ? `${f2(r.psnr)} / ${f4(r.ssim)}` : 'n/a'} |`,
    );
  }
  lines.push(
    '',
    failures
      ? `**${failures} bicubic value(s) differ from the published baselines by more than ${TOLERANCE_DB} dB.**`
      : `Bicubic reproduces every published baseline within ${TOLERANCE_DB} dB.`,
    '',
    `${ref.note}. The reference script treats a grayscale image as RGB (three equal channels through the` +
      ' BT.601 formula) while the protocol here uses it as Y directly; per image, only Set14 `bridge.png` differs.',
    '',
  );

  // Speed
  const [w, h] = ctx.quick ? [2000, 1500] : [4000, 3000];
  const scale = 4;
  lines.push(
    `### Speed at x${scale} on a synthetic ${((w * h) / 1e6).toFixed(0)} MP photo (${w}x${h} -> ${w * scale}x${h * scale})`,
    '',
    'Output megapixels per second (wall clock, one process per row; the machine is shared, so expect noise).',
    '`resizeToBuffer` streams rows straight into 8-bit output (memory: the output plus two rows);',
    'the Upscaler API returns a float32 image (12 bytes per output pixel); libvips is sharp\'s own resize (not MATLAB-compatible), for scale.',
    '',
    '| method | API | time (s) | output MP/s | peak RSS (MiB) |',
    '|---|---|---|---|---|',
  );
  const rows: [string, string, number, number][] = METHODS.map((m) => [m, 'resizeToBuffer', w, h]);
  rows.push(['bicubic', 'upscaler', w / 2, h / 2], ['lanczos', 'libvips', w, h]);
  for (const [m, api, iw, ih] of rows) {
    ctx.log(`speed ${m} (${api}) ${iw}x${ih} x${scale}`);
    const r = runSpeed(m, iw, ih, scale, api);
    if (typeof r === 'string') {
      lines.push(`| ${m} | ${api} | ${r} | | |`);
      continue;
    }
    const mp = (r.outW * r.outH) / 1e6;
    const label = api === 'upscaler' ? `Upscaler (float32), ${((r.inW * r.inH) / 1e6).toFixed(0)} MP input` : api;
    lines.push(`| ${m} | ${label} | ${r.seconds.toFixed(2)} | ${(mp / r.seconds).toFixed(1)} | ${r.peakRssMiB} |`);
  }
  lines.push('', 'Reproduce: `npm run bench -- classical` (add `--quick` for Set5 and a 3 MP photo).');
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === here && process.argv[2] === '--speed') {
  const [, , , method, w, h, scale, api] = process.argv;
  await speedChild(method, Number(w), Number(h), Number(scale), api);
}
