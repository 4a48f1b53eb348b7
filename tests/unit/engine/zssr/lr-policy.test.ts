import { describe, expect, it } from 'vitest';
import { fitLine, LrPolicy } from '../../../../src-main/engine/zssr/lr-policy';
import { resolveConfig } from '../../../../src-main/engine/zssr/config';

describe('fitLine', () => {
  it('matches numpy.polyfit(x, y, 1, cov=True)', () => {
    // numpy: np.polyfit([0,50,100,150,200],[5,4.1,3.2,2.9,2.0],1,cov=True)
    // -> slope -0.0144, intercept 4.88, cov[0][0] = 1.44e-06
    const r = fitLine([0, 50, 100, 150, 200], [5, 4.1, 3.2, 2.9, 2.0]);
    expect(r.slope).toBeCloseTo(-0.0144, 10);
    expect(r.intercept).toBeCloseTo(4.88, 10);
    expect(r.slopeStdErr ** 2).toBeCloseTo(1.44e-6, 12);
  });
});

describe('LrPolicy (original ZSSR)', () => {
  const cfg = resolveConfig(2, 'max');
  it('keeps the rate while the reconstruction error falls steadily', () => {
    const p = new LrPolicy(cfg);
    for (let step = 0; step < 1000; step++) {
      if (p.measures(step)) p.record(step, 1 - step / 2000);
      p.update(step);
    }
    expect(p.lr).toBe(1e-3);
    expect(p.decays).toEqual([]);
  });

  it('divides by 10 on a flat error, first at step 299, then at least 256 steps apart, and stops below lr_stop', () => {
    const p = new LrPolicy(cfg);
    let step = 0;
    for (; step < 3000 && !p.finished; step++) {
      if (p.measures(step)) p.record(step, 0.01 + 1e-6 * ((step / 50) % 2)); // flat, with a little noise
      p.update(step);
    }
    expect(p.decays[0]).toBe(299);
    for (let i = 1; i < p.decays.length; i++) expect(p.decays[i] - p.decays[i - 1]).toBeGreaterThan(256);
    expect(p.decays.length).toBe(3); // 1e-3 -> 1e-6 < 9e-6
    expect(p.finished).toBe(true);
    expect(step).toBe(p.decays[2] + 1);
  });

  it('uses lr_decay_step as the check interval and lr_decay as the factor (document 002 keys)', () => {
    const p = new LrPolicy(resolveConfig(2, 'max', { lr_decay_step: 100, lr_decay: 0.5, lr_decay_range: 150 }));
    for (let step = 0; step < 400; step++) {
      if (p.measures(step)) p.record(step, 0.01 + 1e-6 * ((step / 50) % 2));
      p.update(step);
    }
    expect(p.decays).toEqual([199, 399]);
    expect(p.lr).toBeCloseTo(2.5e-4, 12);
  });
});
