// `studio eval`: the super-resolution benchmark protocol on a folder of ground-truth images.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QualityPreset, BackendPreference } from '../../contract/enhance';
import { StudioError } from '../../contract/errors';
import { makeLowRes } from '../../engine/classical';
import { getUpscaler } from '../../engine/registry';
import type { UpscaleContext } from '../../engine/upscaler';
import { decodeImage, encodeImage, writeOutput } from '../../imaging';
import { srMetrics } from '../../metrics';
import type { Command } from '../main';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.bmp', '.avif', '.gif']);

export interface ImageScore {
  name: string;
  psnr: number;
  ssim: number;
  /** Upscaling time only. */
  seconds: number;
}

export interface MethodScores {
  method: string;
  scale: number;
  images: ImageScore[];
  mean: { psnr: number; ssim: number; seconds: number };
}

export interface EvalOptions {
  scale: number;
  methods: string[];
  /** Passed to learned methods. */
  ctx?: Omit<UpscaleContext, 'scale'>;
  /** Write each upscaled image here as PNG. */
  outDir?: string;
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
      const names = (await fs.readdir(p)).filter((n) => IMAGE_EXT.has(path.extname(n).toLowerCase())).sort();
      files.push(...names.map((n) => path.join(p, n)));
    } else files.push(p);
  }
  if (!files.length) throw new StudioError('E_INVALID_ARGUMENT', `no images in ${inputs.join(', ')}`);
  return files;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * For each image: LR = MATLAB bicubic downscale (uint8), SR = method's upscale, PSNR/SSIM on Y
 * with shave = scale. Each image is decoded once; methods run one after another.
 */
export async function evaluateImages(files: string[], opts: EvalOptions): Promise<MethodScores[]> {
  const upscalers = opts.methods.map((m) => getUpscaler(m));
  const scores = upscalers.map((u) => ({ method: u.info.id, scale: opts.scale, images: [] as ImageScore[] }));
  for (const file of files) {
    const { rgb } = await decodeImage(file);
    const { hr, lr } = makeLowRes(rgb, opts.scale);
    for (let k = 0; k < upscalers.length; k++) {
      const t0 = performance.now();
      const sr = await upscalers[k].upscale(lr, { ...(opts.ctx ?? {}), scale: opts.scale });
      const seconds = (performance.now() - t0) / 1000;
      if (sr.width !== hr.width || sr.height !== hr.height) {
        throw new StudioError('E_INTERNAL', `${upscalers[k].info.id} returned ${sr.width}x${sr.height} for ${hr.width}x${hr.height}`);
      }
      const name = path.basename(file);
      const s: ImageScore = { name, ...srMetrics(hr, sr, opts.scale), seconds };
      scores[k].images.push(s);
      opts.onImage?.(upscalers[k].info.id, s);
      if (opts.outDir) {
        const out = path.join(opts.outDir, `${path.parse(file).name}_x${opts.scale}_${upscalers[k].info.id.replace(/[^a-z0-9._-]/gi, '_')}.png`);
        await writeOutput(out, await encodeImage(sr, { format: 'png' }), { inputPath: file, overwrite: true });
      }
    }
  }
  return scores.map((s) => ({
    ...s,
    mean: { psnr: mean(s.images.map((i) => i.psnr)), ssim: mean(s.images.map((i) => i.ssim)), seconds: mean(s.images.map((i) => i.seconds)) },
  }));
}

export function formatTable(results: MethodScores[]): string {
  const names = results[0]?.images.map((i) => i.name) ?? [];
  const w = Math.max(5, ...names.map((n) => n.length));
  const head = ['image'.padEnd(w), ...results.map((r) => `${r.method} PSNR / SSIM`.padStart(24))].join('  ');
  const cell = (p: number, s: number) => `${p.toFixed(2)} dB / ${s.toFixed(4)}`.padStart(24);
  const rows = names.map((n, i) => [n.padEnd(w), ...results.map((r) => cell(r.images[i].psnr, r.images[i].ssim))].join('  '));
  const meanRow = ['mean'.padEnd(w), ...results.map((r) => cell(r.mean.psnr, r.mean.ssim))].join('  ');
  return [`x${results[0]?.scale} (Y channel, shave ${results[0]?.scale}, LR by MATLAB bicubic downscale)`, head, ...rows, '-'.repeat(head.length), meanRow].join('\n');
}

const HELP = `Usage: studio eval --hr <folder|files...> --scale N --method M[,M2...] [options]

Measures methods by the super-resolution benchmark protocol: each ground-truth image is cropped
to a multiple of N, shrunk with MATLAB's antialiased bicubic imresize (rounded to 8 bits),
upscaled back with the method, and compared on the Y channel (BT.601) with N pixels shaved
from every border: PSNR (dB) and SSIM (11x11 Gaussian window). Grayscale images are their own Y.

Options:
  --hr <path>        folder of ground-truth images (repeatable; files work too)
  --scale <N>        whole-number factor, e.g. 2, 3, 4 (default 4)
  --method <ids>     method id(s), comma-separated (default bicubic); see the model list:
                     nearest, bilinear, bicubic, lanczos and any installed learned model
  --preset <p>       draft | balanced | max, for learned methods
  --backend <b>      auto | onnx-cpu | onnx-webgpu | webgpu | tensorflow-gpu | tensorflow | wasm | cpu
                     (learned methods; studio doctor lists what runs here)
  --out <dir>        also save every upscaled image there (PNG)
  --json             print the results as JSON instead of a table
  -h, --help         this text

Example:
  studio eval --hr ./Set5 --scale 4 --method bicubic,lanczos`;

export const command: Command = {
  summary: 'PSNR/SSIM of methods on ground-truth images (SR benchmark protocol)',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        allowPositionals: false,
        options: {
          hr: { type: 'string', multiple: true },
          scale: { type: 'string', default: '4' },
          method: { type: 'string', default: 'bicubic' },
          preset: { type: 'string' },
          backend: { type: 'string' },
          out: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
      }));
    } catch (err) {
      throw new StudioError('E_INVALID_ARGUMENT', (err as Error).message);
    }
    if (!values.hr?.length) throw new StudioError('E_INVALID_ARGUMENT', '--hr is required (a folder of ground-truth images)');
    const scale = Number(values.scale);
    if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new StudioError('E_INVALID_ARGUMENT', `--scale must be a whole number from 1 to 16, got '${values.scale}'`);
    const methods = values.method.split(',').map((m) => m.trim()).filter(Boolean);
    methods.forEach((m) => getUpscaler(m)); // unknown ids fail before any work
    const ctx: Omit<UpscaleContext, 'scale'> = {};
    if (values.preset) ctx.preset = parseOr(QualityPreset, values.preset, '--preset');
    if (values.backend) ctx.backend = parseOr(BackendPreference, values.backend, '--backend');
    const files = await listImages(values.hr);
    const tty = process.stderr.isTTY && !values.json;
    const results = await evaluateImages(files, {
      scale,
      methods,
      ctx,
      outDir: values.out,
      onImage: tty ? (m, s) => process.stderr.write(`  ${m} ${s.name}: ${s.psnr.toFixed(2)} dB\n`) : undefined,
    });
    if (values.json) console.log(JSON.stringify({ scale, images: files.length, results }, (_k, v) => (v === Infinity ? 'Infinity' : v), 2));
    else console.log(formatTable(results));
    return 0;
  },
};

function parseOr<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, v: string, flag: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new StudioError('E_INVALID_ARGUMENT', `${flag}: '${v}' is not valid`);
  return r.data;
}
