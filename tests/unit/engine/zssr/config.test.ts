import { describe, expect, it } from 'vitest';
import { PRESETS, resolveConfig } from '../../../../src-main/engine/zssr/config';

describe('resolveConfig', () => {
  it('max is the paper: crop 128, 3000 steps, lr 1e-3 -> 9e-6, ensemble, back-projection, steps of x2', () => {
    const c = resolveConfig(4, 'max');
    expect(c).toMatchObject({ crop_size: 128, num_epochs: 3000, lr: 1e-3, lr_stop: 9e-6, lr_decay: 0.1, lr_decay_ratio: 1.5, lr_decay_range: 256, lr_decay_step: 60, ensemble: true, back_projection: true, model_depth: 8, model_width: 64 });
    expect(c.scale_times).toBe(2);
    expect(c.scale_factor).toBeCloseTo(2, 12);
  });
  it('presets trade time for quality', () => {
    expect(PRESETS.draft.num_epochs).toBeLessThan(PRESETS.balanced.num_epochs);
    expect(PRESETS.balanced.num_epochs).toBeLessThan(PRESETS.max.num_epochs);
    expect(resolveConfig(4, 'draft').scale_times).toBe(1);
  });
  it('accepts the document config.json keys and derives the other gradual parameter', () => {
    const c = resolveConfig(4, 'balanced', { scale_factor: 2, lr_decay_step: 30, crop_size: 48, num_epochs: 10 });
    expect(c).toMatchObject({ scale_times: 2, lr_decay_step: 30, crop_size: 48, num_epochs: 10 });
    expect(resolveConfig(8, 'draft', { scale_times: 3 }).scale_factor).toBeCloseTo(2, 12);
  });
  it('refuses settings that contradict the scale or each other', () => {
    expect(() => resolveConfig(4, 'max', { scale_factor: 2, scale_times: 3 })).toThrow(/scale_times/);
    expect(() => resolveConfig(2, 'max', { bogus: 1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => resolveConfig(2, 'max', { in_channels: 4 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => resolveConfig(2, 'max', { lr_decay_range: 60 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
