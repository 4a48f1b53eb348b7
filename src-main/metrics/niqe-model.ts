// NIQE's multivariate Gaussian (MVG) model: fitting it to pristine patches (estimatemodelparam.m)
// and the distance of an image's patch statistics from it (computequality.m).
import fs from 'node:fs/promises';
import { z } from 'zod';
import { StudioError } from '../contract/errors';
import { NIQE_BLOCK, NIQE_FEATURES, type NiqeFeatures } from './niqe-features';

/** Mean and covariance (row-major NIQE_FEATURES^2) of patch features. */
export interface Mvg {
  mean: Float64Array;
  cov: Float64Array;
}

/** A pristine model as shipped in resources/niqe/ (or fitted by a user). */
export interface NiqeModel extends Mvg {
  /** What it was fitted on, for people reading scores. */
  fittedOn: string;
  /** Patches that entered the fit. */
  patches: number;
}

/**
 * MATLAB nanmean (per column, NaNs skipped) and nancov (rows with any NaN dropped, N - 1
 * normalisation) of feature rows.
 */
export function nanMeanCov(rows: Float64Array[]): Mvg & { complete: number } {
  const d = NIQE_FEATURES;
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    let n = 0;
    for (const r of rows) {
      if (!Number.isNaN(r[j])) {
        s += r[j];
        n++;
      }
    }
    mean[j] = s / n;
  }
  const complete = rows.filter((r) => !r.some((v) => Number.isNaN(v)));
  const cov = new Float64Array(d * d);
  if (complete.length >= 2) {
    const m = new Float64Array(d);
    for (const r of complete) for (let j = 0; j < d; j++) m[j] += r[j] / complete.length;
    for (const r of complete) {
      for (let i = 0; i < d; i++) {
        const di = r[i] - m[i];
        for (let j = i; j < d; j++) cov[i * d + j] += di * (r[j] - m[j]);
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        cov[i * d + j] /= complete.length - 1;
        cov[j * d + i] = cov[i * d + j];
      }
    }
  }
  return { mean, cov, complete: complete.length };
}

/**
 * The pristine MVG: from each image, the patches whose sharpness exceeds `threshold` times that
 * image's sharpest patch (the release uses 0.75), pooled.
 */
export function fitNiqeModel(images: NiqeFeatures[], threshold = 0.75): Mvg & { patches: number } {
  const picked: Float64Array[] = [];
  for (const f of images) {
    let max = -Infinity;
    for (const s of f.sharpness) max = Math.max(max, s);
    f.rows.forEach((r, i) => {
      if (f.sharpness[i] > threshold * max) picked.push(r);
    });
  }
  const fit = nanMeanCov(picked);
  if (fit.complete <= NIQE_FEATURES) {
    throw new StudioError('E_INVALID_ARGUMENT', `${fit.complete} usable pristine patches; a ${NIQE_FEATURES}-feature model needs many more`);
  }
  return { mean: fit.mean, cov: fit.cov, patches: picked.length };
}

// ---------- pseudo-inverse quadratic form.
// A 36x36 symmetric matrix: a cyclic Jacobi eigensolver is a few lines and exact enough, where a
// linear-algebra dependency would be added for this one call.

/** Eigen-decomposition of a symmetric n x n matrix (row-major): values and column eigenvectors. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += A[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += A[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => A[i * n + i]), vectors: V };
}

/** MATLAB eps(x): the spacing of doubles at |x|. */
function epsOf(x: number): number {
  return x === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

/**
 * d' pinv(S) d for symmetric S, with MATLAB pinv's tolerance: singular values at or below
 * n * eps(largest) are treated as zero.
 */
export function pinvQuadratic(S: Float64Array, d: Float64Array): number {
  const n = d.length;
  const { values, vectors } = symmetricEigen(S, n);
  let big = 0;
  for (const v of values) big = Math.max(big, Math.abs(v));
  const tol = n * epsOf(big);
  let q = 0;
  for (let k = 0; k < n; k++) {
    if (!(Math.abs(values[k]) > tol)) continue;
    let proj = 0;
    for (let i = 0; i < n; i++) proj += vectors[i * n + k] * d[i];
    q += (proj * proj) / values[k];
  }
  return q;
}

/** NIQE: sqrt((mu_p - mu_d)' pinv((S_p + S_d) / 2) (mu_p - mu_d)). */
export function mvgDistance(pristine: Mvg, image: Mvg): number {
  const d = NIQE_FEATURES;
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = pristine.mean[i] - image.mean[i];
  const S = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) S[i] = (pristine.cov[i] + image.cov[i]) / 2;
  return Math.sqrt(pinvQuadratic(S, diff));
}

// ---------- the model file.
const finite = z.number().refine(Number.isFinite, 'must be finite');
export const NiqeModelFile = z.object({
  format: z.literal('loupe-niqe-model/1'),
  blockSize: z.literal(NIQE_BLOCK),
  sharpnessThreshold: z.number(),
  channel: z.string(),
  fittedOn: z.string(),
  patches: z.number().int().positive(),
  mean: z.array(finite).length(NIQE_FEATURES),
  cov: z.array(z.array(finite).length(NIQE_FEATURES)).length(NIQE_FEATURES),
});
export type NiqeModelFile = z.infer<typeof NiqeModelFile>;

/** A model from the JSON text of a model file; a coded error when it is not one. */
export function parseNiqeModel(text: string, source = 'NIQE model'): NiqeModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StudioError('E_INVALID_ARGUMENT', `${source} is not JSON: ${(err as Error).message}`);
  }
  const r = NiqeModelFile.safeParse(json);
  if (!r.success) throw new StudioError('E_INVALID_ARGUMENT', `${source} is not a NIQE model file: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
  return { mean: Float64Array.from(r.data.mean), cov: Float64Array.from(r.data.cov.flat()), fittedOn: r.data.fittedOn, patches: r.data.patches };
}

/** The model file at `file`; coded errors when it is missing or not a model. */
export async function readNiqeModel(file: string): Promise<NiqeModel> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new StudioError('E_FILE_NOT_FOUND', `no NIQE model at ${file}`, { path: file });
  }
  return parseNiqeModel(text, file);
}
