// `studio eval`: the super-resolution benchmark protocol on a folder of ground-truth images, and
// no-reference scores (NIQE) of images as they are.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QualityPreset, BackendPreference } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import { halfPlane, makeLowRes } from '../../engine/classical';
import { getUpscaler } from '../../engine/registry';
import { bicubicBpBaseline } from '../../engine/zssr';
import type { Upscaler, UpscaleContext } from '../../engine/upscaler';
import { hasImageExtension } from '../../base/image-types';
import { decodeImage, encodeImage, writeOutput } from '../../imaging';
import { niqeImage, readNiqeModel, srMetrics, type NiqeModel } from '../../metrics';
import { resourcesDir } from '../../base/resources';
import type { Command } from '../main';


/** Full-reference metrics need the ground truth; NIQE scores an image alone (lower is better). */
export const METRICS = ['psnr', 'ssim', 'niqe'] as const;
export type Metric = (typeof METRICS)[number];
const NO_REFERENCE: readonly Metric[] = ['niqe'];

export interface ImageScore {
  name: string;
  psnr: number;
  ssim: number;
  /** Present when NIQE was asked for. */
  niqe?: number;
  /** Upscaling time only. */
  seconds: number;
}

export interface MethodScores {
  method: string;
  scale: number;
  images: ImageScore[];
  mean: { psnr: number; ssim: number; niqe?: number; seconds: number };
}

/** NIQE of the ground-truth images themselves: the level a method's outputs are compared with. */
export interface GroundTruthScores {
  images: { name: string; niqe: number }[];
  mean: { niqe: number };
}

export interface EvalOptions {
  scale: number;
  methods: string[];
  /** Passed to learned methods. */
  ctx?: Omit<UpscaleContext, 'scale'>;
  /** Write each upscaled image here as PNG. */
  outDir?: string;
  /** Score outputs (and the ground truth, see groundTruth) with NIQE against this model. */
  niqeModel?: NiqeModel;
  /** Filled with the ground truth's NIQE when niqeModel is given. */
  groundTruth?: GroundTruthScores;
  onImage?: (method: string, s: ImageScore) => void;
}

/** Ground-truth image files of a folder (or the given files), sorted by name. */
export async function listImages(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of inputs) {
    let st;
    try {
      st = await fs.stat(p);
    } catch {
      throw new StudioError('E_FILE_NOT_FOUND', `no such file or folder: ${p}`, { path: p });
    }
    if (st.isDirectory()) {
      const names = (await fs.readdir(p)).filter(hasImageExtension).sort();
      files.push(...names.map((n) => path.join(p, n)));
    } else files.push(p);
  }
  if (!files.length) throw new StudioError('E_INVALID_ARGUMENT', `no images in ${inputs.join(', ')}`);
  return files;
}

/** Yardsticks measured here but not offered as methods. */
const BASELINES: Record<string, Upscaler> = { [bicubicBpBaseline.info.id]: bicubicBpBaseline };

function evalMethod(id: string): Upscaler {
  return BASELINES[id] ?? getUpscaler(id);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The shipped pristine model (resources/niqe), or the one at `file`. */
export function loadNiqeModel(file?: string): Promise<NiqeModel> {
  return readNiqeModel(file ?? path.join(resourcesDir(), 'niqe', 'pristine-model.json'));
}

/**
 * For each image: LR = MATLAB bicubic downscale (uint8), SR = method's upscale, PSNR/SSIM on Y
 * with shave = scale. Each image is decoded once; methods run one after another.
 */
export async function evaluateImages(files: string[], opts: EvalOptions): Promise<MethodScores[]> {
  const upscalers = opts.methods.map(evalMethod);
  const scores = upscalers.map((u) => ({ method: u.info.id, scale: opts.scale, images: [] as ImageScore[] }));
  for (const file of files) {
    const { rgb } = await decodeImage(file);
    const { hr, lr } = makeLowRes(rgb, opts.scale);
    const name = path.basename(file);
    if (opts.niqeModel && opts.groundTruth) opts.groundTruth.images.push({ name, niqe: niqeImage(hr, opts.niqeModel, halfPlane, opts.scale) });
    for (let k = 0; k < upscalers.length; k++) {
      const t0 = performance.now();
      const sr = await upscalers[k].upscale(lr, { ...(opts.ctx ?? {}), scale: opts.scale });
      const seconds = (performance.now() - t0) / 1000;
      if (sr.width !== hr.width || sr.height !== hr.height) {
        throw new StudioError('E_INTERNAL', `${upscalers[k].info.id} returned ${sr.width}x${sr.height} for ${hr.width}x${hr.height}`);
      }
      const s: ImageScore = { name, ...srMetrics(hr, sr, opts.scale), seconds };
      if (opts.niqeModel) s.niqe = niqeImage(sr, opts.niqeModel, halfPlane, opts.scale);
      scores[k].images.push(s);
      opts.onImage?.(upscalers[k].info.id, s);
      if (opts.outDir) {
        const out = path.join(opts.outDir, `${path.parse(file).name}_x${opts.scale}_${upscalers[k].info.id.replace(/[^a-z0-9._-]/gi, '_')}.png`);
        await writeOutput(out, await encodeImage(sr, { format: 'png' }), { inputPath: file, overwrite: true });
      }
    }
  }
  if (opts.groundTruth) opts.groundTruth.mean.niqe = mean(opts.groundTruth.images.map((i) => i.niqe));
  return scores.map((s) => ({
    ...s,
    mean: {
      psnr: mean(s.images.map((i) => i.psnr)),
      ssim: mean(s.images.map((i) => i.ssim)),
      ...(opts.niqeModel ? { niqe: mean(s.images.map((i) => i.niqe ?? NaN)) } : {}),
      seconds: mean(s.images.map((i) => i.seconds)),
    },
  }));
}

export interface NoReferenceScores {
  shave: number;
  images: { name: string; niqe: number }[];
  mean: { niqe: number };
}

/** NIQE of each image as it is (Y channel, `shave` border pixels ignored). */
export async function scoreImages(files: string[], model: NiqeModel, shave = 0, onImage?: (name: string, niqe: number) => void): Promise<NoReferenceScores> {
  const images: NoReferenceScores['images'] = [];
  for (const file of files) {
    const { rgb } = await decodeImage(file);
    const s = { name: path.basename(file), niqe: niqeImage(rgb, model, halfPlane, shave) };
    images.push(s);
    onImage?.(s.name, s.niqe);
  }
  return { shave, images, mean: { niqe: mean(images.map((i) => i.niqe)) } };
}

export function formatTable(results: MethodScores[], metrics: readonly Metric[] = ['psnr', 'ssim'], groundTruth?: GroundTruthScores): string {
  const names = results[0]?.images.map((i) => i.name) ?? [];
  const w = Math.max(5, ...names.map((n) => n.length));
  const label = { psnr: 'PSNR', ssim: 'SSIM', niqe: 'NIQE' };
  const text = { psnr: (v: number) => `${v.toFixed(2)} dB`, ssim: (v: number) => v.toFixed(4), niqe: (v: number) => v.toFixed(3) };
  const width = 12 * metrics.length;
  const cell = (s: Partial<Record<Metric, number>>) => metrics.map((m) => text[m](s[m] ?? NaN)).join(' / ').padStart(width);
  const gt = groundTruth ? [`HR NIQE`.padStart(8)] : [];
  const head = ['image'.padEnd(w), ...gt, ...results.map((r) => `${r.method} ${metrics.map((m) => label[m]).join(' / ')}`.padStart(width))].join('  ');
  const gtCell = (v: number | undefined) => (groundTruth ? [(v ?? NaN).toFixed(3).padStart(8)] : []);
  const rows = names.map((n, i) => [n.padEnd(w), ...gtCell(groundTruth?.images[i]?.niqe), ...results.map((r) => cell(r.images[i]))].join('  '));
  const meanRow = ['mean'.padEnd(w), ...gtCell(groundTruth?.mean.niqe), ...results.map((r) => cell(r.mean))].join('  ');
  const note = metrics.includes('niqe') ? '; NIQE: lower is more natural' : '';
  return [`x${results[0]?.scale} (Y channel, shave ${results[0]?.scale}, LR by MATLAB bicubic downscale${note})`, head, ...rows, '-'.repeat(head.length), meanRow].join('\n');
}

function formatNoReference(r: NoReferenceScores): string {
  const w = Math.max(5, ...r.images.map((i) => i.name.length));
  const rows = r.images.map((i) => `${i.name.padEnd(w)}  ${i.niqe.toFixed(3).padStart(8)}`);
  return [`NIQE (Y channel, shave ${r.shave}; lower is more natural)`, `${'image'.padEnd(w)}  ${'NIQE'.padStart(8)}`, ...rows, '-'.repeat(w + 10), `${'mean'.padEnd(w)}  ${r.mean.niqe.toFixed(3).padStart(8)}`].join('\n');
}

const HELP = `Usage: studio eval --hr <folder|files...> --scale N --method M[,M2...] [options]
       studio eval --metric niqe [--shave N] <folder|files...>

Measures methods by the super-resolution benchmark protocol: each ground-truth image is cropped
to a multiple of N, shrunk with MATLAB's antialiased bicubic imresize (rounded to 8 bits),
upscaled back with the method, and compared on the Y channel (BT.601) with N pixels shaved
from every border: PSNR (dB) and SSIM (11x11 Gaussian window). Grayscale images are their own Y.

NIQE (Mittal et al. 2013) needs no ground truth: it scores how natural an image looks (lower is
better; the figure GAN results are compared by). With --hr it scores every method's outputs and
the ground truth itself (column "HR NIQE"); without --hr it scores the given images as they are,
e.g. a folder of outputs made elsewhere.

Options:
  --hr <path>        folder of ground-truth images (repeatable; files work too)
  --scale <N>        whole-number factor, e.g. 2, 3, 4 (default 4)
  --method <ids>     method id(s), comma-separated (default bicubic); see the model list:
                     nearest, bilinear, bicubic, lanczos and any installed learned model;
                     also bicubic+bp (bicubic + 10 back-projection iterations: ZSSR with a
                     network that does nothing, the yardstick for what ZSSR's network adds)
  --metric <list>    psnr, ssim, niqe, comma-separated (default psnr,ssim with --hr;
                     niqe without --hr, where only niqe applies)
  --shave <N>        without --hr: border pixels to ignore (default 0)
  --niqe-model <f>   a pristine NIQE model file instead of the shipped one
                     (see docs/imaging.md; refit with bench/niqe-fit.ts)
  --preset <p>       draft | balanced | max, for learned methods
  --backend <b>      auto | onnx-cpu | onnx-webgpu | webgpu | tensorflow-gpu | tensorflow | wasm | cpu
                     (learned methods; studio doctor lists what runs here)
  --out <dir>        also save every upscaled image there (PNG)
  --json             print the results as JSON instead of a table
  -h, --help         this text

Examples:
  studio eval --hr ./Set5 --scale 4 --method bicubic,lanczos
  studio eval --hr ./Set14 --scale 4 --method bicubic,esrgan-thick --metric psnr,ssim,niqe
  studio eval --metric niqe ./upscaled
  studio eval --hr ./Set5 --scale 2 --method bicubic+bp,zssr --preset draft`;

export const command: Command = {
  summary: 'PSNR/SSIM/NIQE of methods on ground-truth images (SR benchmark protocol), NIQE of any images',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          hr: { type: 'string', multiple: true },
          scale: { type: 'string', default: '4' },
          method: { type: 'string', default: 'bicubic' },
          preset: { type: 'string' },
          backend: { type: 'string' },
          out: { type: 'string' },
          json: { type: 'boolean', default: false },
          metric: { type: 'string' },
          shave: { type: 'string' },
          'niqe-model': { type: 'string' },
        },
      }));
    } catch (err) {
      throw new StudioError('E_INVALID_ARGUMENT', (err as Error).message);
    }
    const metrics = parseMetrics(values.metric ?? (values.hr?.length || !positionals.length ? 'psnr,ssim' : 'niqe'));
    if (positionals.length) {
      if (values.hr?.length) throw new StudioError('E_INVALID_ARGUMENT', `give either --hr (evaluate methods) or images to score as they are, not both: ${positionals.join(' ')}`);
      const full = metrics.filter((m) => !NO_REFERENCE.includes(m));
      if (full.length) throw new StudioError('E_INVALID_ARGUMENT', `${full.join(' and ')} ${full.length > 1 ? 'need' : 'needs'} ground truth (--hr); images alone can be scored with --metric niqe`);
      const shave = Number(values.shave ?? 0);
      if (!Number.isInteger(shave) || shave < 0) throw new StudioError('E_INVALID_ARGUMENT', `--shave must be a whole number of pixels, got '${values.shave}'`);
      const model = await loadNiqeModel(values['niqe-model']);
      const files = await listImages(positionals);
      const tty = process.stderr.isTTY && !values.json;
      const r = await scoreImages(files, model, shave, tty ? (n, q) => process.stderr.write(`  ${n}: NIQE ${q.toFixed(3)}\n`) : undefined);
      if (values.json) console.log(JSON.stringify({ metrics, model: model.fittedOn, ...r }, null, 2));
      else console.log(formatNoReference(r));
      return 0;
    }
    if (!values.hr?.length) throw new StudioError('E_INVALID_ARGUMENT', '--hr is required (a folder of ground-truth images), or give images to score with --metric niqe');
    if (values.shave !== undefined) throw new StudioError('E_INVALID_ARGUMENT', '--shave applies to images scored without --hr; with --hr the protocol shaves the scale');
    const scale = Number(values.scale);
    if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new StudioError('E_INVALID_ARGUMENT', `--scale must be a whole number from 1 to 16, got '${values.scale}'`);
    const methods = values.method.split(',').map((m) => m.trim()).filter(Boolean);
    methods.forEach(evalMethod); // unknown ids fail before any work
    const ctx: Omit<UpscaleContext, 'scale'> = {};
    if (values.preset) ctx.preset = parseOr(QualityPreset, values.preset, '--preset');
    if (values.backend) ctx.backend = parseOr(BackendPreference, values.backend, '--backend');
    const niqeModel = metrics.includes('niqe') ? await loadNiqeModel(values['niqe-model']) : undefined;
    const groundTruth: GroundTruthScores | undefined = niqeModel ? { images: [], mean: { niqe: NaN } } : undefined;
    const files = await listImages(values.hr);
    const tty = process.stderr.isTTY && !values.json;
    const results = await evaluateImages(files, {
      scale,
      methods,
      ctx,
      outDir: values.out,
      niqeModel,
      groundTruth,
      onImage: tty ? (m, s) => process.stderr.write(`  ${m} ${s.name}: ${s.psnr.toFixed(2)} dB${s.niqe === undefined ? '' : `, NIQE ${s.niqe.toFixed(3)}`}\n`) : undefined,
    });
    if (values.json) console.log(JSON.stringify({ scale, images: files.length, metrics, results, ...(groundTruth ? { groundTruth } : {}) }, (_k, v) => (v === Infinity ? 'Infinity' : v), 2));
    else console.log(formatTable(results, metrics, groundTruth));
    return 0;
  },
};

function parseMetrics(list: string): Metric[] {
  const ms = list.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
  for (const m of ms) if (!(METRICS as readonly string[]).includes(m)) throw new StudioError('E_INVALID_ARGUMENT', `--metric: '${m}' is not one of ${METRICS.join(', ')}`);
  if (!ms.length) throw new StudioError('E_INVALID_ARGUMENT', '--metric: name at least one metric');
  return [...new Set(ms)] as Metric[];
}

function parseOr<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, v: string, flag: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new StudioError('E_INVALID_ARGUMENT', `${flag}: '${v}' is not valid`);
  return r.data;
}
