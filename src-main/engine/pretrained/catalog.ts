// The pretrained ESRGAN models shipped by the @upscalerjs packages (MIT): where they are on disk,
// which value range they expect, and what the UI should say about them.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StudioError } from '../../contract/errors';
import type { ModelInfo } from '../../contract/api';
import type { NetSpec } from './net-runner';

export type PretrainedId = 'esrgan-slim' | 'esrgan-medium' | 'esrgan-thick';

export interface PretrainedSpec {
  id: PretrainedId;
  pkg: string;
  label: string;
  /** Native scales (one model file per scale). */
  scales: number[];
  /**
   * Pixel value range the net was trained on. UpscalerJS declares [0,255] for its RDN models
   * (slim, medium) and [0,1] for the RRDN one (thick).
   */
  range: 1 | 255;
  /** Input pixels shared by neighbouring tiles, and the spoiled margin, measured (see docs/models.md). */
  overlap: number;
  margin: number;
  /** Peak activation memory per input pixel at a native scale (bytes), fitted to tf.profile runs. */
  bytesPerPixel(scale: number): number;
  description: string;
  speed: string;
}

export const PRETRAINED: readonly PretrainedSpec[] = [
  {
    id: 'esrgan-slim',
    pkg: '@upscalerjs/esrgan-slim',
    label: 'ESRGAN slim',
    scales: [2, 3, 4, 8],
    range: 255,
    overlap: 16,
    margin: 4,
    // The RDNs upsample 3*s*s channels by nearest neighbour before the last conv: ~12*s^4 bytes.
    bytesPerPixel: (s) => Math.max(1400, 13 * s ** 4),
    description: 'Small residual dense network (RDN, 2 blocks) trained on DIV2K: fast, mild sharpening. A faithful model: trained for accuracy, it sharpens without making things up, in one quick pass; for many photos with ordinary softness.',
    speed: 'fast: about 0.5 output megapixels per second at x4 on one CPU thread (wasm)',
  },
  {
    id: 'esrgan-medium',
    pkg: '@upscalerjs/esrgan-medium',
    label: 'ESRGAN medium',
    scales: [2, 3, 4, 8],
    range: 255,
    overlap: 24,
    margin: 6,
    bytesPerPixel: (s) => Math.max(5500, 13 * s ** 4),
    description: 'Residual dense network (RDN, 10 blocks) trained on DIV2K: the balance of speed and detail. A faithful model: trained for accuracy, it sharpens without making things up, in one quick pass; for many photos with ordinary softness.',
    speed: 'medium: 2-7x the time of slim (about 0.25 output MP/s at x4)',
  },
  {
    id: 'esrgan-thick',
    pkg: '@upscalerjs/esrgan-thick',
    label: 'ESRGAN thick',
    scales: [2, 3, 4, 8],
    range: 1,
    overlap: 16,
    margin: 4,
    bytesPerPixel: (s) => 2400 + 40 * s * s,
    description: 'Residual-in-residual dense network (RRDN, 10 RRDBs) trained on DIV2K: the most detail, slowest. A faithful model: trained for accuracy, it sharpens without making things up, in one quick pass; for many photos with ordinary softness.',
    speed: 'slow: 20-30x the time of slim (about 0.03 output MP/s at x4); the best quality',
  },
];

/** The spec's part that upscaleWithNet reads (everything but the net itself). */
export function netGeometry(spec: PretrainedSpec): Pick<NetSpec, 'scales' | 'range' | 'overlap' | 'margin' | 'bytesPerPixel'> {
  return { scales: spec.scales, range: spec.range, overlap: spec.overlap, margin: spec.margin, bytesPerPixel: spec.bytesPerPixel };
}

export function pretrainedSpec(id: string): PretrainedSpec {
  const spec = PRETRAINED.find((p) => p.id === id);
  if (!spec) throw new StudioError('E_MODEL_NOT_FOUND', `unknown pretrained model '${id}'`);
  return spec;
}

const require = createRequire(import.meta.url);
const roots = new Map<string, string>();

/** Folder of an installed package (its exports map hides package.json, so walk up from its entry). */
export function packageRoot(pkg: string): string {
  const known = roots.get(pkg);
  if (known) return known;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new StudioError('E_MODEL_NOT_FOUND', `the model package ${pkg} is not installed; reinstall the studio`, { package: pkg });
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === pkg) {
      roots.set(pkg, dir);
      return dir;
    }
  }
  throw new StudioError('E_MODEL_NOT_FOUND', `cannot find the folder of ${pkg}`, { package: pkg });
}

/** Folder holding model.json + shards of one pretrained model at one native scale. */
export function modelDir(spec: PretrainedSpec, scale: number): string {
  if (!spec.scales.includes(scale)) {
    throw new StudioError('E_INVALID_ARGUMENT', `${spec.id} has no x${scale} model (native scales: ${spec.scales.join(', ')})`);
  }
  return path.join(packageRoot(spec.pkg), 'models', `x${scale}`);
}

/** Bytes of all weight files of a model (every scale), or undefined if the package is missing. */
export function diskSize(spec: PretrainedSpec): number | undefined {
  try {
    let n = 0;
    for (const s of spec.scales) {
      const dir = modelDir(spec, s);
      for (const f of fs.readdirSync(dir)) n += fs.statSync(path.join(dir, f)).size;
    }
    return n;
  } catch {
    return undefined;
  }
}

/**
 * `info` with a sizeBytes read from disk on first look (listing methods must neither wait for
 * nor fail on a missing package: then the size is simply absent).
 */
export function withLazySize(info: ModelInfo, size: () => number | undefined): ModelInfo {
  let known: number | undefined | null = null;
  Object.defineProperty(info, 'sizeBytes', {
    enumerable: true,
    get: () => {
      if (known === null) {
        try {
          known = size();
        } catch {
          known = undefined;
        }
      }
      return known;
    },
  });
  return info;
}
