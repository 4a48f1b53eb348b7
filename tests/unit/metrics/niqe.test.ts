import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { halfPlane } from '../../../src-main/engine/classical';
import { NIQE_FEATURES, niqeFeatures, type Plane } from '../../../src-main/metrics';
import { aggdFit, gamma, mscn } from '../../../src-main/metrics/niqe-features';
import { fitNiqeModel, mvgDistance, nanMeanCov, pinvQuadratic } from '../../../src-main/metrics/niqe-model';

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
