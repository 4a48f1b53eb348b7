import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import type { ZssrConfig } from '../../../../src-main/contract/enhance';
import { zssrUpscale, type ZssrReport } from '../../../../src-main/engine/zssr';
import { resolveConfig } from '../../../../src-main/engine/zssr/config';
import { shapesPhoto } from './photo-fixtures';

// Each config.json key of the original ZSSR that shapes training reaches it: the run is seeded
// (the same settings give the same training), so a key that changes the training loss is a key
// in use. (Six steps teach the net too little to be used on the result: the loss is what moves.)

// Max: the fathers are jittered (scale, shear, rotation) as in the original; two gradual steps.
const base: ZssrConfig = { model_depth: 3, model_width: 8, crop_size: 16, num_epochs: 6, patch_size: 32, ensemble: false, scale_factors: [1.5, 2] };
const photo: FloatImage = shapesPhoto(24, 20);

async function run(zssr: ZssrConfig, backend: 'wasm' | 'cpu' = 'wasm'): Promise<{ out: FloatImage; rep: ZssrReport }> {
  let rep: ZssrReport | undefined;
  const out = await zssrUpscale(photo, { scale: 2, preset: 'max', backend, zssr: { ...base, ...zssr } }, { threads: 1, noCache: true, onReport: (r) => (rep = r) });
  if (!rep) throw new Error('no report');
  return { out, rep };
}

function maxDiff(a: FloatImage, b: FloatImage): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

describe('ZSSR config.json keys reach the training', () => {
  it('the father jitter keys land in the effective settings', () => {
    const c = resolveConfig(2, 'max', {
      augment_leave_as_is_probability: 0.3,
      augment_no_interpolate_probability: 0.2,
      augment_min_scale: 0.8,
      augment_scale_diff_sigma: 0.4,
      augment_shear_sigma: 0.3,
      augment_allow_rotation: false,
    });
    expect(c.augment).toEqual({ leave_as_is_probability: 0.3, no_interpolate_probability: 0.2, min_scale: 0.8, scale_diff_sigma: 0.4, shear_sigma: 0.3, allow_rotation: false });
  });

  it('each key changes the training of a seeded run; the same settings give the same training', async () => {
    const ref = await run({});
    const again = await run({});
    expect(again.rep.finalLoss).toBe(ref.rep.finalLoss);
    expect(maxDiff(again.out, ref.out)).toBe(0);
    const variants: ZssrConfig[] = [
      { augment_leave_as_is_probability: 0.5 },
      { augment_no_interpolate_probability: 0.9 },
      { augment_min_scale: 0.95 },
      { augment_scale_diff_sigma: 0.8 },
      { augment_shear_sigma: 0.6 },
      { augment_allow_rotation: false },
      { init_net_for_each_sf: true },
      { noise_std: 0.05 },
      { lr: 0.01 },
      { crop_size: 12 },
    ];
    for (const v of variants) {
      const r = await run(v);
      expect(r.rep.key, JSON.stringify(v)).not.toBe(ref.rep.key);
      expect(Math.abs(r.rep.finalLoss - ref.rep.finalLoss), JSON.stringify(v)).toBeGreaterThan(1e-7);
    }
  }, 120_000);

  it('model_kernel_size: 5x5 convolutions on the cpu backend; the fast kernels refuse it with a coded error', async () => {
    const k3 = await run({ model_width: 4 }, 'cpu');
    const k5 = await run({ model_width: 4, model_kernel_size: 5 }, 'cpu');
    expect(k5.rep.key).not.toBe(k3.rep.key);
    expect(k5.rep.finalLoss).not.toBe(k3.rep.finalLoss);
    await expect(run({ model_kernel_size: 5 })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/model_kernel_size 5/) });
  }, 120_000);
});
