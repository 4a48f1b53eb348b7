// `npm run bench -- zssr-quality`: ZSSR's quality and time per preset on Set5 (and more sets on
// request), its gain over bicubic and over bicubic + back-projection (the network's own share),
// and PSNR against training time (checkpoints of the same runs) next to the PyTorch reference
// (`ref_zssr_torch.py`, run on each image right after ours, so both see the same load).
// `zssr-big`: a 24 MP photo at x2 through `studio enhance` (wall time, peak RSS).
//
// Knobs (environment): ZSSR_BENCH_PRESETS=draft,balanced,max  ZSSR_BENCH_SCALES=2,4
// ZSSR_BENCH_SETS=Set5,Set14  ZSSR_BENCH_IMAGES=<max images per set>  ZSSR_BENCH_MAX_IMAGES=<images for max>
// ZSSR_BENCH_REF_STEPS=3000 (PyTorch step budgets, comma-separated; 0 = no reference)
// ZSSR_BENCH_EVERY=250 (checkpoint every N steps of the last stage)
// --quick: draft+balanced, x2, 2 Set5 images, no reference.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QualityPreset } from '../src-main/contract/enhance';
import type { FloatImage } from '../src-main/contract/image';
import { imresize, makeLowRes } from '../src-main/engine/classical';
import { fastKernelFlavor } from '../src-main/engine/fast/convnet';
import { bicubicBackProjection, zssrUpscale, type ZssrReport } from '../src-main/engine/zssr';
import { decodeImage } from '../src-main/imaging';
import { srMetrics } from '../src-main/metrics';
import { timedEnhance, type BenchContext } from './context';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = '/usr/bin/python3';
// Published ZSSR (Shocher et al. 2018, Table 1); other sets: no figure quoted here.
const PUBLISHED_ZSSR: Record<string, Record<number, number>> = { Set5: { 2: 37.37, 4: 31.13 } };

const list = (v: string | undefined, d: string[]): string[] => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : d);
const mean = (a: number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const load = (): number => os.loadavg()[0];

function refScript(): string {
  return path.join(process.env.STUDIO_BENCH_TORCH_DIR ?? path.resolve(root, '..', 'shared', 'bench'), 'ref_zssr_torch.py');
}

function refMissing(): string | undefined {
  if (!fs.existsSync(PY)) return `${PY} is missing`;
  if (spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) return 'PyTorch is not installed for /usr/bin/python3';
  if (!fs.existsSync(refScript())) return `${refScript()} not found`;
  return undefined;
}

interface RefRun {
  psnr: number;
  seconds: number;
  steps: number;
}

/** The PyTorch reference on one image (a folder holding only it), `steps` at most, crop 128, 2 threads. */
function runRef(file: string, scale: number, steps: number, tmp: string): RefRun | string {
  const dir = fs.mkdtempSync(path.join(tmp, 'ref-'));
  fs.symlinkSync(file, path.join(dir, path.basename(file)));
  const r = spawnSync(PY, [refScript(), dir, String(scale), String(steps), '128', '2'], { encoding: 'utf8', timeout: 6 * 3600_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) return `failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
  const row = JSON.parse(r.stdout.trim().split('\n')[0]) as { psnr: number; seconds: number; steps: number };
  return { psnr: row.psnr, seconds: row.seconds, steps: row.steps };
}

function clamp(img: FloatImage): FloatImage {
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.min(1, Math.max(0, img.data[i]));
  return img;
}

interface Point {
  step: number;
  seconds: number;
  psnr: number;
}

interface ImageRun {
  name: string;
  psnr: number;
  ssim: number;
  bicubic: number;
  bicubicBp: number;
  seconds: number;
  steps: number;
  stages: string;
  noGain: boolean;
  curve: Point[];
  load: number;
}

export async function run(ctx: BenchContext): Promise<string> {
  const threads = Math.min(2, os.availableParallelism());
  const presets = list(process.env.ZSSR_BENCH_PRESETS, ctx.quick ? ['draft', 'balanced'] : ['draft', 'balanced', 'max']) as QualityPreset[];
  const scales = list(process.env.ZSSR_BENCH_SCALES, ctx.quick ? ['2'] : ['2', '4']).map(Number);
  const sets = list(process.env.ZSSR_BENCH_SETS, ['Set5']);
  const maxImages = Number(process.env.ZSSR_BENCH_IMAGES ?? (ctx.quick ? 2 : 1000));
  const maxPresetImages = Number(process.env.ZSSR_BENCH_MAX_IMAGES ?? 1000);
  const refSteps = list(process.env.ZSSR_BENCH_REF_STEPS, ctx.quick ? [] : ['3000']).map(Number).filter((n) => n > 0);
  const every = Number(process.env.ZSSR_BENCH_EVERY ?? 250);
  const missing = refSteps.length ? refMissing() : undefined;
  const md: string[] = [
    '## ZSSR quality',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; kernels: ${fastKernelFlavor()}, ${threads} threads. \`npm run bench -- zssr-quality\`${ctx.quick ? ' --quick' : ''}.`,
    'Protocol: Y channel, shave = scale; LR = MATLAB-style bicubic downscale rounded to 8 bits. bicubic+bp = bicubic and 10',
    'back-projection iterations, no network (`studio eval --method bicubic+bp`): the net\'s own gain is ZSSR minus this. Times per',
    'image on a machine shared with other work (the 1-minute load average is given): read them as upper bounds.',
    '',
  ];
  const rows: string[] = ['| set | scale | preset | images | PSNR | SSIM | bicubic | bicubic+bp | gain over bicubic | **gain over bicubic+bp** | published | s / image | steps / image | load |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
  const detail: string[] = ['| set | scale | method | image | PSNR | bicubic+bp | net gain | s | steps | load |', '|---|---|---|---|---|---|---|---|---|---|'];
  const curves: string[] = [];
  const refRows: string[] = [];
  for (const set of sets) {
    const dir = path.join(ctx.dataDir, set);
    if (!fs.existsSync(dir)) {
      md.push(`${set}: not found in ${ctx.dataDir}.`, '');
      continue;
    }
    const files = fs.readdirSync(dir).filter((f) => /\.(png|bmp|jpe?g)$/i.test(f)).sort().slice(0, maxImages);
    for (const scale of scales) {
      const runs = new Map<string, ImageRun[]>();
      const refs = new Map<number, RefRun[]>();
      for (const file of files) {
        const name = file.replace(/\.[^.]+$/, '');
        const { hr, lr } = makeLowRes((await decodeImage(path.join(dir, file))).rgb, scale);
        const bicubic = srMetrics(hr, clamp(imresize(lr, { width: hr.width, height: hr.height })), scale, { ssim: false }).psnr;
        const bicubicBp = srMetrics(hr, bicubicBackProjection(lr, scale), scale, { ssim: false }).psnr;
        detail.push(`| ${set} | x${scale} | bicubic+bp | ${name} | ${f2(bicubicBp)} | | | | | |`);
        for (const preset of presets) {
          if (preset === 'max' && files.indexOf(file) >= maxPresetImages) continue;
          let rep: ZssrReport | undefined;
          const curve: Point[] = [];
          let probeMs = 0;
          const t0 = performance.now();
          const sr = await zssrUpscale(lr, { scale, preset, backend: 'wasm' }, {
            threads,
            noCache: true,
            onReport: (r) => (rep = r),
            checkpointEvery: every,
            onCheckpoint: (c) => {
              const p0 = performance.now();
              curve.push({ step: c.step, seconds: c.trainMs / 1000, psnr: srMetrics(hr, c.render(), scale, { ssim: false }).psnr });
              probeMs += performance.now() - p0;
            },
          });
          const seconds = (performance.now() - t0 - probeMs) / 1000;
          const m = srMetrics(hr, sr, scale);
          const steps = rep?.steps.reduce((a, c) => a + c, 0) ?? 0;
          curve.push({ step: steps, seconds, psnr: m.psnr });
          const r: ImageRun = { name, psnr: m.psnr, ssim: m.ssim, bicubic, bicubicBp, seconds, steps, stages: rep?.steps.join('+') ?? '', noGain: rep?.noGain.some(Boolean) ?? false, curve, load: load() };
          runs.set(preset, [...(runs.get(preset) ?? []), r]);
          detail.push(`| ${set} | x${scale} | zssr ${preset} | ${name} | ${f2(m.psnr)} | ${f2(bicubicBp)} | ${m.psnr - bicubicBp >= 0 ? '+' : ''}${f2(m.psnr - bicubicBp)} | ${f1(seconds)} | ${r.stages}${r.noGain ? ' (stopped: no gain)' : ''} | ${f1(r.load)} |`);
          ctx.log(`zssr ${set} x${scale} ${preset} ${name}: ${f2(m.psnr)} dB (bicubic+bp ${f2(bicubicBp)}), ${f1(seconds)} s, ${r.stages} steps, load ${f1(r.load)}`);
        }
        if (!missing) {
          for (const budget of refSteps) {
            const rr = runRef(path.join(dir, file), scale, budget, ctx.tmpDir);
            if (typeof rr === 'string') {
              refRows.push(`| ${set} | x${scale} | ${budget} | ${name} | ${rr} | | | |`);
              continue;
            }
            refs.set(budget, [...(refs.get(budget) ?? []), rr]);
            refRows.push(`| ${set} | x${scale} | ${budget} | ${name} | ${f2(rr.psnr)} | ${f1(rr.seconds)} | ${rr.steps} | ${f1(load())} |`);
            ctx.log(`ref ${set} x${scale} ${budget} ${name}: ${f2(rr.psnr)} dB, ${f1(rr.seconds)} s, ${rr.steps} steps, load ${f1(load())}`);
          }
        }
      }
      const pub = PUBLISHED_ZSSR[set]?.[scale];
      for (const preset of presets) {
        const rs = runs.get(preset) ?? [];
        if (!rs.length) continue;
        const all = rs.length === files.length;
        const ps = mean(rs.map((r) => r.psnr)), bp = mean(rs.map((r) => r.bicubicBp)), bi = mean(rs.map((r) => r.bicubic));
        rows.push(
          `| ${set} | x${scale} | ${preset} | ${rs.length} | ${f2(ps)} | ${mean(rs.map((r) => r.ssim)).toFixed(4)} | ${f2(bi)} | ${f2(bp)} | +${f2(ps - bi)} | **${ps - bp >= 0 ? '+' : ''}${f2(ps - bp)}** | ${pub !== undefined && all ? pub : '-'} | ${f1(mean(rs.map((r) => r.seconds)))} | ${Math.round(mean(rs.map((r) => r.steps)))} | ${f1(mean(rs.map((r) => r.load)))} |`,
        );
        curves.push(`| ${set} x${scale} ${preset} | ${curveText(rs)} |`);
      }
      for (const [budget, rr] of refs) {
        const ps = mean(rr.map((r) => r.psnr));
        const bp = mean((runs.get(presets[0]) ?? []).slice(0, rr.length).map((r) => r.bicubicBp));
        rows.push(`| ${set} | x${scale} | PyTorch reference, ${budget} steps max | ${rr.length} | ${f2(ps)} | | | ${f2(bp)} | | ${f2(ps - bp)} | ${pub !== undefined && rr.length === files.length ? pub : '-'} | ${f1(mean(rr.map((r) => r.seconds)))} | ${Math.round(mean(rr.map((r) => r.steps)))} | |`);
        curves.push(`| ${set} x${scale} PyTorch reference (${budget} max) | ${f1(mean(rr.map((r) => r.seconds)))} s: ${f2(ps)} dB |`);
      }
    }
  }
  md.push(...rows, '');
  md.push(
    '### PSNR against seconds',
    '',
    'Mean over the images of each run: training seconds at each checkpoint (every ' + every + ' steps of the last stage, the result as it would be',
    'if training stopped there: one pass, back-projected, no ensemble) and, last, the finished result with its total time (training,',
    'ensemble, back-projection). The reference\'s point is its total time per image.',
    '',
    '| run | seconds: PSNR dB |',
    '|---|---|',
    ...curves,
    '',
  );
  if (refSteps.length) {
    md.push(missing ? `PyTorch reference not run: ${missing}.` : ['<details><summary>PyTorch reference per image</summary>', '', '| set | scale | max steps | image | PSNR | s | steps | load |', '|---|---|---|---|---|---|---|---|', ...refRows, '', '</details>'].join('\n'), '');
  }
  md.push('<details><summary>Per image</summary>', '', ...detail, '', '</details>', '');
  return md.join('\n');
}

/** The mean curve over images: checkpoints every image reached, then the finished results. */
function curveText(rs: ImageRun[]): string {
  const common = rs[0].curve.slice(0, -1).filter((p) => rs.every((r) => r.curve.slice(0, -1).some((q) => q.step === p.step)));
  const at = (step: number): Point[] => rs.map((r) => r.curve.find((q) => q.step === step) as Point);
  const pts = common.map((p) => `${f1(mean(at(p.step).map((q) => q.seconds)))}: ${f2(mean(at(p.step).map((q) => q.psnr)))}`);
  pts.push(`**${f1(mean(rs.map((r) => r.seconds)))}: ${f2(mean(rs.map((r) => r.psnr)))}** (done)`);
  return pts.join(' · ');
}

/** `zssr-big`: ZSSR x2 of a 24 MP photo through `studio enhance`. */
export async function runBig(ctx: BenchContext): Promise<string> {
  const sharp = (await import('sharp')).default;
  const [w, h] = ctx.quick ? [2000, 1000] : [6000, 4000];
  const preset = (process.env.ZSSR_BENCH_BIG_PRESET ?? 'balanced') as QualityPreset;
  const dir = path.join(ctx.tmpDir, 'zssr-big');
  fs.mkdirSync(dir, { recursive: true });
  // A photo-sized input with detail at its own resolution everywhere: a mosaic of 500x500 cells cut
  // from the Set5 and Set14 photos. (One small photo enlarged to 24 MP is so smooth that ZSSR's
  // net cannot beat interpolation on it, stops early and is not used: that measures nothing.)
  const photo = path.join(dir, 'photo.jpg');
  const sources = ['Set5', 'Set14'].flatMap((set) => fs.readdirSync(path.join(ctx.dataDir, set)).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(ctx.dataDir, set, f)));
  const cell = 500;
  const cells = await Promise.all(sources.map((f) => sharp(f).resize(cell, cell, { fit: 'cover' }).removeAlpha().toColourspace('srgb').png().toBuffer()));
  const composite = [];
  for (let y = 0; y < h; y += cell) for (let x = 0; x < w; x += cell) composite.push({ input: cells[composite.length % cells.length], left: x, top: y });
  await sharp({ create: { width: w, height: h, channels: 3, background: '#808080' }, limitInputPixels: false }).composite(composite).jpeg({ quality: 92 }).toFile(photo);
  ctx.log(`zssr big photo ${w}x${h} x2 ${preset} (studio enhance), load ${f1(load())}`);
  const loadBefore = load();
  const r = timedEnhance(photo, ['--scale', '2', '--method', 'zssr', '--preset', preset, '--backend', 'wasm', '--no-cache', '--json'], path.join(dir, 'out'), path.join(dir, 'data'));
  const lines = [
    '## ZSSR on a big photo (x2 through `studio enhance`)',
    '',
    `Measured ${ctx.date} on ${ctx.machine}; \`npm run bench -- zssr-big\`${ctx.quick ? ' --quick' : ''}.`,
    `\`studio enhance photo.jpg --scale 2 --method zssr --preset ${preset} --backend wasm --no-cache\`: training on crops, the reconstruction error on 16`,
    'windows spread over the photo, inference in tiles on all cores, no ensemble above 4 MP of output, back-projection on the whole result.',
    'Wall time of the whole command; peak RSS of its largest process (the worker) from GNU time. The photo is a mosaic of',
    `${cell}x${cell} cells cut from the Set5 and Set14 photos (detail at its own resolution everywhere).`,
    '',
  ];
  if (typeof r === 'string') return [...lines, r].join('\n');
  const meta = await sharp(r.output, { limitInputPixels: false }).metadata();
  // What training said at its end (steps, and whether the net beat interpolation and was used).
  const trained = r.stdout
    .split('\n')
    .map((l) => /"message":"([^"]*trained \d+ steps[^"]*)"/.exec(l)?.[1])
    .filter((m): m is string => !!m)
    .at(-1);
  lines.push(
    '| input | output | total | peak RSS | load before / after |',
    '|---|---|---|---|---|',
    `| ${w}x${h} (${((w * h) / 1e6).toFixed(0)} MP) | ${meta.width}x${meta.height} (${(((meta.width ?? 0) * (meta.height ?? 0)) / 1e6).toFixed(0)} MP) | ${(r.seconds / 60).toFixed(1)} min | **${(r.peakRssMiB / 1024).toFixed(1)} GiB** | ${f1(loadBefore)} / ${f1(load())} |`,
    '',
    `Training: ${trained ?? 'no training message'}.`,
    '',
  );
  return lines.join('\n');
}
