import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp, { type Sharp } from 'sharp';
import { halfPlane } from '../../../src-main/engine/classical';
import { Rng } from '../../../src-main/engine/train/rng';
import { NIQE_FEATURES, niqeFeatures, niqePlane, parseNiqeModel, readNiqeModel, type NiqeModel, type Plane } from '../../../src-main/metrics';
import { aggdFit, gamma, mscn } from '../../../src-main/metrics/niqe-features';
import { fitNiqeModel, mvgDistance, nanMeanCov, pinvQuadratic } from '../../../src-main/metrics/niqe-model';
import { resourcesDir } from '../../../src-main/base/resources';

const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/niqe/features.json'), 'utf8')) as {
  a: { features: (number | null)[][]; sharpness: number[] };
  b: { features: (number | null)[][]; sharpness: number[]; mean: number[] };
  score: number;
};

const plane = (w: number, h: number, f: (x: number, y: number) => number): Plane => {
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
};
// The integer planes of tests/fixtures/niqe/make_fixture.py.
const planeA = () => plane(300, 200, (x, y) => (x < 100 && y < 100 ? 0 : ((x * x + 3 * y * y) % 97) + ((x ^ y) & 63) + Math.floor((x + y) / 4)));
const planeB = () => plane(400, 400, (x, y) => ((x * 7 + y * 3) % 50) + ((x * y) % 31) + 2 * ((Math.floor(x / 5) + Math.floor(y / 7)) % 3) + Math.floor(x / 40) * 9);

function expectRowsClose(actual: Float64Array[], expected: (number | null)[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = expected[i][j];
      if (e === null) expect(v, `row ${i} feature ${j}`).toBeNaN();
      else expect(Math.abs(v - e), `row ${i} feature ${j}: ${v} vs ${e}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(e)));
    }),
  );
}

describe('NIQE features against an independent numpy/scipy computation', () => {
  it('gives the same 36 features per patch, NaN where a patch has no signal, and the same sharpness', () => {
    const a = niqeFeatures(planeA(), halfPlane);
    expectRowsClose(a.rows, fixture.a.features);
    a.sharpness.forEach((s, i) => expect(s).toBeCloseTo(fixture.a.sharpness[i], 9));
    // The all-zero top-left patch: alpha falls back to the grid's first value, everything else NaN.
    expect(a.rows[0][0]).toBe(0.2);
    expect(a.rows[0][1]).toBeNaN();
    const b = niqeFeatures(planeB(), halfPlane);
    expectRowsClose(b.rows, fixture.b.features);
  });

  it('gives the same nanmean and the same multivariate Gaussian distance (pinv)', () => {
    const a = nanMeanCov(niqeFeatures(planeA(), halfPlane).rows);
    const b = nanMeanCov(niqeFeatures(planeB(), halfPlane).rows);
    expect(a.complete).toBe(5); // the NaN patch is left out of the covariance
    b.mean.forEach((m, i) => expect(m).toBeCloseTo(fixture.b.mean[i], 9));
    expect(mvgDistance(b, a)).toBeCloseTo(fixture.score, 6);
  });
});

// ---------- a photo the pristine model has not seen, and its damaged versions.
const fixtures = path.join(import.meta.dirname, '../../fixtures/niqe');
const model = (): Promise<NiqeModel> => readNiqeModel(path.join(resourcesDir(), 'niqe', 'pristine-model.json'));

async function photo(op?: (s: Sharp) => Sharp): Promise<Plane> {
  // 384x288: whole patches, so turning the photo maps patches onto patches.
  const s = sharp(path.join(fixtures, 'coffee-y.png')).extract({ left: 8, top: 8, width: 384, height: 288 }).greyscale();
  const { data, info } = await (op ? op(s) : s).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { width: info.width, height: info.height, data: Float64Array.from(data) };
}

function mapPlane(p: Plane, f: (v: number, x: number, y: number) => number): Plane {
  const data = new Float64Array(p.data.length);
  for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) data[y * p.width + x] = f(p.data[y * p.width + x], x, y);
  return { ...p, data };
}

describe('NIQE of a photo', () => {
  it('scores the sharp photo better (lower) than its blurred and its noisy versions', async () => {
    const m = await model();
    const sharpScore = niqePlane(await photo(), m, halfPlane);
    const blurred = niqePlane(await photo((s) => s.blur(1.5)), m, halfPlane);
    const rng = new Rng(7);
    const noisy = niqePlane(mapPlane(await photo(), (v) => Math.min(255, Math.max(0, Math.round(v + 12 * rng.normal())))), m, halfPlane);
    expect(sharpScore).toBeLessThan(blurred - 1);
    expect(sharpScore).toBeLessThan(noisy - 1);
    // Blur is graded: more blur, further from the pristine model.
    expect(niqePlane(await photo((s) => s.blur(3)), m, halfPlane)).toBeGreaterThan(blurred);
  });

  it('does not change when the photo is turned 180 degrees or its brightness is offset', async () => {
    const m = await model();
    const p = await photo();
    const q = niqePlane(p, m, halfPlane);
    const rot = mapPlane(p, (_v, x, y) => p.data[(p.height - 1 - y) * p.width + (p.width - 1 - x)]);
    expect(niqePlane(rot, m, halfPlane)).toBeCloseTo(q, 8);
    // An offset cancels in the MSCN coefficients up to rounding, which can move a shape estimate
    // by one step of the 0.001 grid: equal to about 1e-4.
    expect(niqePlane(mapPlane(p, (v) => v + 37.5), m, halfPlane)).toBeCloseTo(q, 3);
    // Contrast is not normalised away entirely (the +1 in the MSCN denominator): a different score.
    expect(Math.abs(niqePlane(mapPlane(p, (v) => v * 0.25), m, halfPlane) - q)).toBeGreaterThan(0.05);
  });

  it('swaps the horizontal and vertical neighbour features of a transposed image', async () => {
    const p = await photo();
    const t: Plane = { width: p.height, height: p.width, data: new Float64Array(p.data.length) };
    for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) t.data[x * t.width + y] = p.data[y * p.width + x];
    const a = niqeFeatures(p, halfPlane);
    const b = niqeFeatures(t, halfPlane);
    const cols = p.width / 96;
    const rows = p.height / 96;
    // Patch (r, c) of p is patch (c, r) of t; both lists run down columns of patches.
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < rows; r++) {
        const fa = a.rows[c * rows + r];
        const fb = b.rows[r * cols + c];
        for (const base of [0, 18]) {
          const same = [0, 1, 10, 11, 12, 13, 14, 15, 16, 17]; // MSCN and both diagonals
          for (const j of same) expect(fb[base + j]).toBeCloseTo(fa[base + j], 8);
          for (let j = 0; j < 4; j++) {
            expect(fb[base + 2 + j]).toBeCloseTo(fa[base + 6 + j], 8); // horizontal <-> vertical
            expect(fb[base + 6 + j]).toBeCloseTo(fa[base + 2 + j], 8);
          }
        }
        expect(b.sharpness[r * cols + c]).toBeCloseTo(a.sharpness[c * rows + r], 10);
      }
    }
  });

  it('refuses images without two usable 96x96 patches, with a code', async () => {
    const m = await model();
    expect(() => niqePlane(plane(95, 300, (x, y) => (x * y) % 13), m, halfPlane)).toThrow(/at least 96x96/);
    expect(() => niqePlane(plane(192, 96, () => 0), m, halfPlane)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});

describe('NIQE building blocks', () => {
  it('gamma matches known values', () => {
    expect(gamma(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 13);
    expect(gamma(5)).toBeCloseTo(24, 11);
    expect(gamma(0.1)).toBeCloseTo(9.513507698668732, 11);
  });

  it('fits the shape of Gaussian (2) and Laplacian (1) samples, and the asymmetry of a skewed one', () => {
    const rng = new Rng(3);
    const n = 200_000;
    const gauss = Float64Array.from({ length: n }, () => 1.5 * rng.normal());
    const g = aggdFit(gauss);
    expect(g.alpha).toBeGreaterThan(1.95);
    expect(g.alpha).toBeLessThan(2.05);
    // A GGD of shape 2 and scale beta has standard deviation beta / sqrt(2).
    expect(g.betaL / Math.SQRT2).toBeCloseTo(1.5, 1);
    expect(g.betaR / Math.SQRT2).toBeCloseTo(1.5, 1);
    const lap = Float64Array.from({ length: n }, () => -Math.log(1 - rng.next()) * (rng.next() < 0.5 ? -1 : 1));
    const l = aggdFit(lap);
    expect(l.alpha).toBeGreaterThan(0.95);
    expect(l.alpha).toBeLessThan(1.05);
    const skew = Float64Array.from(gauss, (v) => (v < 0 ? v * 0.5 : v));
    const k = aggdFit(skew);
    expect(k.betaL / k.betaR).toBeCloseTo(0.5, 2);
  });

  it('MSCN coefficients of a flat plane are zero, and local sigma is the plane\'s local spread', () => {
    const flat = mscn(plane(20, 20, () => 100));
    expect(Math.max(...flat.mscn.map(Math.abs))).toBeLessThan(1e-12);
    const stripes = mscn(plane(20, 20, (x) => (x % 2 ? 110 : 90)));
    // Away from the borders the window sees half 90s and half 110s: sigma close to 10.
    expect(stripes.sigma[10 * 20 + 10]).toBeGreaterThan(9);
    expect(stripes.sigma[10 * 20 + 10]).toBeLessThan(10.01);
  });

  it('pinv quadratic form equals the inverse on a full-rank matrix and ignores the null space', () => {
    // S = [[4, 1], [1, 3]]: inverse [[3, -1], [-1, 4]] / 11.
    expect(pinvQuadratic(Float64Array.from([4, 1, 1, 3]), Float64Array.from([1, 2]))).toBeCloseTo((3 - 4 + 16) / 11, 12);
    // S = diag(2, 0): only the first coordinate counts.
    expect(pinvQuadratic(Float64Array.from([2, 0, 0, 0]), Float64Array.from([1, 5]))).toBeCloseTo(0.5, 12);
  });

  it('fits the pristine model only on each image\'s sharpest patches (sharpness above 0.75 of its sharpest)', () => {
    const rng = new Rng(11);
    const img = (sharpness: number[]) => ({ sharpness: Float64Array.from(sharpness), rows: sharpness.map(() => Float64Array.from({ length: NIQE_FEATURES }, () => rng.normal())) });
    const a = img(Array.from({ length: 60 }, (_, i) => (i < 40 ? 10 : 7.5))); // 7.5 is not above 0.75 x 10
    const b = img(Array.from({ length: 60 }, (_, i) => (i % 2 ? 100 : 1)));
    const fit = fitNiqeModel([a, b]);
    expect(fit.patches).toBe(70);
    const picked = [...a.rows.slice(0, 40), ...b.rows.filter((_, i) => i % 2)];
    for (let j = 0; j < NIQE_FEATURES; j++) expect(fit.mean[j]).toBeCloseTo(picked.reduce((s, r) => s + r[j], 0) / picked.length, 12);
    expect(() => fitNiqeModel([img([1, 2, 3])])).toThrow(/usable pristine patches/);
  });

  it('reads the shipped model and rejects files that are not models', async () => {
    const m = await model();
    expect(m.mean.length).toBe(NIQE_FEATURES);
    expect(m.cov.length).toBe(NIQE_FEATURES ** 2);
    expect(m.patches).toBeGreaterThan(200);
    expect(m.fittedOn).toMatch(/Debian/);
    for (let i = 0; i < NIQE_FEATURES; i++) expect(m.cov[i * NIQE_FEATURES + i]).toBeGreaterThan(0);
    expect(() => parseNiqeModel('{"format":"loupe-niqe-model/1"}')).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => parseNiqeModel('not json')).toThrow(/not JSON/);
    await expect(readNiqeModel(path.join(fixtures, 'missing.json'))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
  });
});
