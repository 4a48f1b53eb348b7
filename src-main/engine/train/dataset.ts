// Training data from a folder of HR photos: DIV2K layout or any folder of images. LR inputs are
// made on the fly by the MATLAB-style bicubic downscaler, per crop with a margin so each LR crop
// equals the same crop of the whole downscaled image; crops are augmented by the 8 flips/rotations.
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../contract/errors';
import type { FloatImage } from '../../contract/image';
import { toRgb } from '../channels';
import { imresize } from '../classical/imresize';
import type { Rng } from './rng';
import { hasImageExtension, IMAGE_EXTENSIONS } from '../../base/image-types';

export { IMAGE_EXTENSIONS };

/** Decodes a file to float pixels (imaging/ in the studio; injected so the engine knows no codecs). */
export type DecodeFn = (file: string) => Promise<FloatImage>;

export interface DatasetSplit {
  layout: 'div2k' | 'folder';
  train: string[];
  val: string[];
}

const HR_DIR = /(^|[_-])HR$/i;
const VAL_DIR = /(^|[_-])(valid|validation|val)([_-]|$)/i;

async function walk(dir: string, depth: number, out: { files: string[]; dirs: string[] }): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0) {
      out.dirs.push(p);
      await walk(p, depth - 1, out);
    } else if (e.isFile() && hasImageExtension(e.name)) out.files.push(p);
  }
}

/**
 * The training and validation images of a folder. DIV2K layout (folders named *_HR, a *valid*_HR
 * one for validation; LR folders are ignored since LR is made here) or any folder of images, of
 * which every k-th (sorted by name) is held out for validation.
 */
export async function findDataset(dir: string, valFraction = 0.1): Promise<DatasetSplit> {
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new StudioError('E_DATASET_INVALID', `training data folder ${root} does not exist or is not a folder`, { path: root });
  const found = { files: [] as string[], dirs: [] as string[] };
  await walk(root, 4, found);
  const hrDirs = found.dirs.filter((d) => HR_DIR.test(path.basename(d)));
  let layout: DatasetSplit['layout'] = 'folder';
  let train: string[];
  let val: string[] = [];
  if (hrDirs.length) {
    layout = 'div2k';
    const inDir = (f: string, d: string) => f.startsWith(d + path.sep);
    const valDirs = hrDirs.filter((d) => VAL_DIR.test(path.basename(d)));
    train = found.files.filter((f) => hrDirs.some((d) => !valDirs.includes(d) && inDir(f, d)));
    val = found.files.filter((f) => valDirs.some((d) => inDir(f, d)));
  } else train = found.files;
  if (train.length + val.length === 0) {
    throw new StudioError('E_DATASET_INVALID', `no images in ${root} (looked for ${[...IMAGE_EXTENSIONS].join(' ')} up to 4 folders deep)`, { path: root });
  }
  if (val.length === 0) {
    if (train.length < 2) {
      throw new StudioError('E_DATASET_INVALID', `${root} holds only ${train.length} image; training needs at least 2 (at least one is held out for validation)`, { path: root });
    }
    const nVal = Math.min(train.length - 1, Math.max(1, Math.round(train.length * valFraction)));
    const pick = new Set(Array.from({ length: nVal }, (_, i) => Math.floor(((i + 0.5) * train.length) / nVal)));
    val = train.filter((_, i) => pick.has(i));
    train = train.filter((_, i) => !pick.has(i));
  }
  if (train.length === 0) throw new StudioError('E_DATASET_INVALID', `${root} has validation images but no training images`, { path: root });
  return { layout, train, val };
}

/** Decoded images, least recently used dropped first when above a byte budget. */
export class ImageCache {
  private map = new Map<string, FloatImage>();
  private bytes = 0;
  constructor(
    private decode: DecodeFn,
    private budget = 512 * 2 ** 20,
  ) {}
  async get(file: string): Promise<FloatImage> {
    const hit = this.map.get(file);
    if (hit) {
      this.map.delete(file);
      this.map.set(file, hit);
      return hit;
    }
    let img: FloatImage;
    try {
      img = toRgb(await this.decode(file));
    } catch (err) {
      throw new StudioError('E_DATASET_INVALID', `cannot read training image ${file}: ${(err as Error).message}`, { path: file });
    }
    this.map.set(file, img);
    this.bytes += img.data.byteLength;
    while (this.bytes > this.budget && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value as [string, FloatImage];
      this.map.delete(k);
      this.bytes -= v.data.byteLength;
    }
    return img;
  }
}

/**
 * Decode every image once: corrupt files and images smaller than the HR crop are reported
 * together in one E_DATASET_INVALID (mixed sizes are fine).
 */
export async function checkImages(files: string[], cache: ImageCache, minSide: number, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
  const problems: string[] = [];
  for (const [i, f] of files.entries()) {
    if (signal?.aborted) throw new StudioError('E_CANCELLED', 'cancelled');
    try {
      const img = await cache.get(f);
      if (img.width < minSide || img.height < minSide) problems.push(`${f}: ${img.width}x${img.height} px, smaller than the ${minSide} px training crop`);
    } catch (err) {
      problems.push(`${f}: ${err instanceof StudioError ? err.message.replace(/^cannot read training image [^:]+: /, '') : String(err)}`);
    }
    onProgress?.(i + 1, files.length);
  }
  if (problems.length) {
    const shown = problems.slice(0, 8).map((p) => `  ${p}`);
    if (problems.length > 8) shown.push(`  ... and ${problems.length - 8} more`);
    throw new StudioError('E_DATASET_INVALID', `${problems.length} training image(s) cannot be used; fix or remove them:\n${shown.join('\n')}`, { problems });
  }
}

function crop(img: FloatImage, x0: number, y0: number, w: number, h: number): FloatImage {
  const c = img.channels;
  const data = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * c, ((y0 + y) * img.width + x0 + w) * c), y * w * c);
  return { width: w, height: h, channels: c, data };
}

function quantize8(img: FloatImage): FloatImage {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.round(Math.min(1, Math.max(0, d[i])) * 255) / 255;
  return img;
}

/** LR crop side P; HR crop side P*s. `ilr`: the LR crop bicubic-upscaled back to HR size. */
export interface Patch {
  lr: Float32Array;
  hr: Float32Array;
  ilr?: Float32Array;
}

/** LR pixels of context around a crop: more than the bicubic kernel's reach (2 LR pixels). */
const CONTEXT = 4;

/**
 * The LR/HR pair at LR position (lx, ly), side P. The LR is the MATLAB bicubic downscale of the
 * HR image cropped to a multiple of the scale (as the SR protocol does), quantised to 8 bits.
 */
export function extractPatch(hr: FloatImage, scale: number, P: number, lx: number, ly: number, withIlr: boolean): Patch {
  const Wl = Math.floor(hr.width / scale);
  const Hl = Math.floor(hr.height / scale);
  const x0 = Math.max(0, lx - CONTEXT);
  const y0 = Math.max(0, ly - CONTEXT);
  const x1 = Math.min(Wl, lx + P + CONTEXT);
  const y1 = Math.min(Hl, ly + P + CONTEXT);
  const region = crop(hr, x0 * scale, y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale);
  const lrRegion = quantize8(imresize(region, { width: x1 - x0, height: y1 - y0 }));
  const patch: Patch = {
    lr: crop(lrRegion, lx - x0, ly - y0, P, P).data,
    hr: crop(hr, lx * scale, ly * scale, P * scale, P * scale).data,
  };
  if (withIlr) {
    const up = imresize(lrRegion, { width: (x1 - x0) * scale, height: (y1 - y0) * scale });
    patch.ilr = crop(up, (lx - x0) * scale, (ly - y0) * scale, P * scale, P * scale).data;
  }
  return patch;
}

/** One of the 8 flips/rotations (bit 0: mirror, bit 1: flip, bit 2: transpose) of a square HWC patch. */
export function dihedral(src: Float32Array, n: number, c: number, t: number): Float32Array {
  if (t === 0) return src;
  const out = new Float32Array(src.length);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      let sx = t & 1 ? n - 1 - x : x;
      let sy = t & 2 ? n - 1 - y : y;
      if (t & 4) [sx, sy] = [sy, sx];
      const s = (sy * n + sx) * c;
      const d = (y * n + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = src[s + k];
    }
  return out;
}

/** A batch of patches as NHWC arrays. */
export interface Batch {
  n: number;
  /** LR side. */
  P: number;
  scale: number;
  lr: Float32Array;
  hr: Float32Array;
  ilr?: Float32Array;
}

function stack(patches: Patch[], P: number, scale: number): Batch {
  const n = patches.length;
  const lr = new Float32Array(n * P * P * 3);
  const hr = new Float32Array(n * P * P * scale * scale * 3);
  const withIlr = patches[0]?.ilr !== undefined;
  const ilr = withIlr ? new Float32Array(hr.length) : undefined;
  patches.forEach((p, i) => {
    lr.set(p.lr, i * p.lr.length);
    hr.set(p.hr, i * p.hr.length);
    if (ilr && p.ilr) ilr.set(p.ilr, i * p.ilr.length);
  });
  return ilr ? { n, P, scale, lr, hr, ilr } : { n, P, scale, lr, hr };
}

/**
 * Random augmented training crops, image by image: each image visited gives `perImage` crops
 * before the next, so only a few decoded images need to stay in memory.
 */
export class PatchSampler {
  private order: string[] = [];
  private current: string | undefined;
  private left = 0;
  constructor(
    private files: string[],
    private cache: ImageCache,
    private scale: number,
    private P: number,
    private withIlr: boolean,
    private rng: Rng,
    private perImage = 4,
  ) {}

  private async nextImage(): Promise<FloatImage> {
    if (!this.current || this.left <= 0) {
      if (this.order.length === 0) this.order = this.rng.shuffle([...this.files]);
      this.current = this.order.pop() as string;
      this.left = this.perImage;
    }
    this.left--;
    return this.cache.get(this.current);
  }

  async batch(n: number): Promise<Batch> {
    const patches: Patch[] = [];
    for (let i = 0; i < n; i++) {
      const img = await this.nextImage();
      const lx = this.rng.int(Math.floor(img.width / this.scale) - this.P + 1);
      const ly = this.rng.int(Math.floor(img.height / this.scale) - this.P + 1);
      const p = extractPatch(img, this.scale, this.P, lx, ly, this.withIlr);
      const t = this.rng.int(8);
      const hs = this.P * this.scale;
      patches.push({ lr: dihedral(p.lr, this.P, 3, t), hr: dihedral(p.hr, hs, 3, t), ...(p.ilr ? { ilr: dihedral(p.ilr, hs, 3, t) } : {}) });
    }
    return stack(patches, this.P, this.scale);
  }
}

/**
 * Fixed validation crops: up to `perImage` per validation image (the centre first, then seeded
 * random positions), side `P` LR pixels, no augmentation.
 */
export async function buildValSet(files: string[], cache: ImageCache, scale: number, P: number, perImage: number, rng: Rng, withIlr: boolean): Promise<Batch> {
  const patches: Patch[] = [];
  for (const f of files) {
    const img = await cache.get(f);
    const maxX = Math.floor(img.width / scale) - P;
    const maxY = Math.floor(img.height / scale) - P;
    for (let k = 0; k < perImage; k++) {
      const lx = k === 0 ? Math.floor(maxX / 2) : rng.int(maxX + 1);
      const ly = k === 0 ? Math.floor(maxY / 2) : rng.int(maxY + 1);
      patches.push(extractPatch(img, scale, P, lx, ly, withIlr));
    }
  }
  return stack(patches, P, scale);
}
