import { describe, expect, it } from 'vitest';
import { PRESETS, REAL_PHOTO, resolveConfig } from '../../../../src-main/engine/zssr/config';

const scales = (c: ReturnType<typeof resolveConfig>): [number, number][] => c.stages.map((s) => [s.scale.y, s.scale.x]);

describe('resolveConfig', () => {
  it('max is the paper: crop 128, 3000 steps, lr 1e-3 -> 9e-6, ensemble, jitter, the original gradual x2', () => {
    const c = resolveConfig(2, 'max');
    expect(c).toMatchObject({ crop_size: 128, num_epochs: 3000, lr: 1e-3, lr_stop: 9e-6, lr_decay: 0.1, lr_decay_ratio: 1.5, lr_decay_range: 256, lr_decay_step: 60, ensemble: true, model_depth: 8, model_width: 64 });
    expect(c.augment).toEqual({ leave_as_is_probability: 0.05, no_interpolate_probability: 0.45, min_scale: 0.5, scale_diff_sigma: 0.25, shear_sigma: 0.1, allow_rotation: true });
    expect(scales(c)).toEqual([[1, 1.5], [1.5, 1], [1.5, 1.5], [1.5, 2], [2, 1.5], [2, 2]]);
    expect(c.stages.map((s) => s.bpIters)).toEqual([6, 6, 8, 10, 10, 12]);
    expect(c.stages.every((s) => s.base === -1)).toBe(true);
    // x4: the x2 steps, then x4 from the x2 result
    const c4 = resolveConfig(4, 'max');
    expect(scales(c4).at(-1)).toEqual([4, 4]);
    expect(c4.stages.at(-1)).toMatchObject({ base: 5, factor: { y: 2, x: 2 } });
  });

  it('presets trade time for quality', () => {
    expect(PRESETS.draft.num_epochs).toBeLessThan(PRESETS.balanced.num_epochs);
    expect(PRESETS.balanced.num_epochs).toBeLessThan(PRESETS.max.num_epochs);
    expect(resolveConfig(4, 'draft').stages).toHaveLength(1);
    // Balanced: x2 in one step; beyond it, x2 steps each from the last result.
    expect(scales(resolveConfig(2, 'balanced'))).toEqual([[2, 2]]);
    const b4 = resolveConfig(4, 'balanced');
    expect(scales(b4)).toEqual([[2, 2], [4, 4]]);
    expect(b4.stages[1]).toMatchObject({ base: 0, factor: { y: 2, x: 2 } });
    expect(resolveConfig(8, 'balanced').stages).toHaveLength(3);
  });

  it('accepts the document config.json keys and derives the other gradual parameter', () => {
    const c = resolveConfig(4, 'balanced', { scale_factor: 2, lr_decay_step: 30, crop_size: 48, num_epochs: 10 });
    expect(c).toMatchObject({ lr_decay_step: 30, crop_size: 48, num_epochs: 10 });
    expect(scales(c)).toEqual([[2, 2], [4, 4]]);
    expect(c.stages[1]).toMatchObject({ base: 0, factor: { y: 2, x: 2 } });
    expect(resolveConfig(8, 'draft', { scale_times: 3 }).stages[0].scale.x).toBeCloseTo(2, 12);
  });

  it('takes the original ZSSR keys: scale_factors, base_change_sfs, back_projection_iters per step', () => {
    const c = resolveConfig(4, 'draft', { scale_factors: [1.5, [2, 2], 3, 4], base_change_sfs: [2], back_projection_iters: [0, 2, 4, 6] });
    expect(scales(c)).toEqual([[1.5, 1.5], [2, 2], [3, 3], [4, 4]]);
    expect(c.stages.map((s) => [s.base, s.factor.x, s.bpIters])).toEqual([[-1, 1.5, 0], [-1, 2, 2], [1, 1.5, 4], [1, 2, 6]]);
    expect(resolveConfig(2, 'balanced', { back_projection_iters: 3 }).stages[0].bpIters).toBe(3);
    expect(resolveConfig(2, 'balanced', { back_projection: false }).stages[0].bpIters).toBe(0);
    expect(() => resolveConfig(4, 'draft', { scale_factors: [2, 3] })).toThrow(/end at the requested scale 4/);
    expect(() => resolveConfig(4, 'draft', { scale_factors: [2, 4], base_change_sfs: [3] })).toThrow(/base_change_sfs/);
    expect(() => resolveConfig(4, 'draft', { scale_factors: [2, 4], back_projection_iters: [1, 2, 3] })).toThrow(/back_projection_iters/);
    expect(() => resolveConfig(4, 'draft', { scale_factors: [2, 2, 4] })).toThrow(/repeats/);
    expect(() => resolveConfig(4, 'draft', { scale_factors: [3, 2, 4], base_change_sfs: [3] })).toThrow(/smaller than its input/);
  });

  it('"Real photo": the default with a kernel; noise, no back-projection, no scale/shear jitter', () => {
    const plain = resolveConfig(2, 'balanced');
    expect(plain).toMatchObject({ real_photo: false, noise_std: 0 });
    const gauss = [[0.05, 0.1, 0.05], [0.1, 0.4, 0.1], [0.05, 0.1, 0.05]];
    const real = resolveConfig(2, 'balanced', {}, { kernel: gauss });
    expect(real).toMatchObject({ real_photo: true, noise_std: REAL_PHOTO.noise_std, ensemble: false });
    expect(real.stages[0].bpIters).toBe(0);
    expect(real.augment).toMatchObject({ scale_diff_sigma: 0, shear_sigma: 0, min_scale: 0.75, allow_rotation: true });
    // A clean photo with a known kernel (the original's given-kernel setup): 2 iterations.
    expect(resolveConfig(2, 'balanced', { real_photo: false }, { kernel: gauss }).stages[0].bpIters).toBe(2);
    // A blur that is not symmetric: no rotations or flips, no ensemble.
    const skew = resolveConfig(2, 'max', { real_photo: false }, { kernel: [[0, 0.2, 0], [0, 0.5, 0.3], [0, 0, 0]] });
    expect(skew.augment.allow_rotation).toBe(false);
    expect(skew.ensemble).toBe(false);
    // The user's keys win over the setting.
    expect(resolveConfig(2, 'balanced', { noise_std: 0.02, back_projection_iters: 1 }, { kernel: gauss })).toMatchObject({ noise_std: 0.02, stages: [{ bpIters: 1 }] });
    expect(resolveConfig(2, 'balanced', { real_photo: true })).toMatchObject({ real_photo: true, noise_std: 0.0125 });
  });

  it('refuses settings that contradict the scale or each other', () => {
    expect(() => resolveConfig(4, 'max', { scale_factor: 2, scale_times: 3 })).toThrow(/scale_times/);
    expect(() => resolveConfig(4, 'max', { scale_factor: 2, scale_factors: [2, 4] })).toThrow(/either/);
    expect(() => resolveConfig(2, 'max', { bogus: 1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => resolveConfig(2, 'max', { in_channels: 4 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => resolveConfig(2, 'max', { lr_decay_range: 60 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => resolveConfig(2, 'max', { augment_leave_as_is_probability: 0.6, augment_no_interpolate_probability: 0.6 })).toThrow(/at most 1/);
  });
});
