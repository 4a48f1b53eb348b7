import { StudioError } from '../../contract/errors';
import { ZssrConfig, type QualityPreset } from '../../contract/enhance';

/**
 * Everything a ZSSR run depends on, after the preset filled what the user left out. The cache
 * key hashes this object, so two runs with equal settings share trained weights.
 *
 * Names follow the source document's config.json; their meaning follows the original ZSSR
 * (the document's own code reads `lr_decay_step` from `lr_decay_range` and fits the line with
 * swapped axes to the noisy training loss: here each key means what its name says).
 */
export interface EffectiveZssrConfig {
  in_channels: 1 | 3;
  model_width: number;
  model_depth: number;
  model_kernel_size: number;
  /** Initial Adam learning rate. */
  lr: number;
  /** Training stops once the learning rate falls below this. */
  lr_stop: number;
  /** Factor applied to the learning rate at each decay (0.1: divide by 10). */
  lr_decay: number;
  /** Decay when lr_decay_ratio * (-slope) < the slope's standard error. */
  lr_decay_ratio: number;
  /** Steps of reconstruction errors the line is fitted to, and the minimum steps between decays. */
  lr_decay_range: number;
  /** Steps between decay checks. */
  lr_decay_step: number;
  /** Steps between reconstruction-error measurements (the original's run_test_every). */
  rec_every: number;
  /** Maximum training steps per scale step. */
  num_epochs: number;
  crop_size: number;
  /** Inference tile side (output pixels). */
  patch_size: number;
  /** Factor of one gradual step; scale_factor ^ scale_times = the requested scale. */
  scale_factor: number;
  scale_times: number;
  noise_std: number;
  /** 8-way geometric self-ensemble (median): 'auto' = only while the output is at most 4 MP. */
  ensemble: boolean | 'auto';
  back_projection: boolean;
  back_projection_iters: number;
  kernel_path?: string;
}

/** Output pixels above which the 'auto' ensemble is skipped (8 passes over a big photo take long). */
export const AUTO_ENSEMBLE_MAX_PIXELS = 4_000_000;

interface PresetValues {
  crop_size: number;
  num_epochs: number;
  ensemble: boolean | 'auto';
  /** Largest factor of one gradual step. */
  max_step_factor: number;
}

/**
 * Draft: a quick look (short training on small crops, one pass). Balanced: most of ZSSR's gain
 * in a fraction of its time. Max: the paper's defaults (crop 128, up to 3000 steps, ensemble,
 * gradual steps of at most 2x).
 */
export const PRESETS: Record<QualityPreset, PresetValues> = {
  draft: { crop_size: 64, num_epochs: 300, ensemble: false, max_step_factor: 8 },
  balanced: { crop_size: 64, num_epochs: 1000, ensemble: 'auto', max_step_factor: 4 },
  max: { crop_size: 128, num_epochs: 3000, ensemble: true, max_step_factor: 2 },
};

const DEFAULTS = {
  in_channels: 3 as const,
  model_width: 64,
  model_depth: 8,
  model_kernel_size: 3,
  lr: 1e-3,
  lr_stop: 9e-6,
  lr_decay: 0.1,
  lr_decay_ratio: 1.5,
  lr_decay_range: 256,
  lr_decay_step: 60,
  rec_every: 50,
  patch_size: 512,
  noise_std: 0,
  back_projection: true,
  back_projection_iters: 10,
};

/** Number of gradual steps and their factor for a total `scale`. */
function gradual(scale: number, user: ZssrConfig, maxStep: number): { scale_factor: number; scale_times: number } {
  if (scale <= 1) return { scale_factor: 1, scale_times: 1 };
  let times: number;
  if (user.scale_times !== undefined) times = user.scale_times;
  else if (user.scale_factor !== undefined && user.scale_factor > 1) times = Math.max(1, Math.round(Math.log(scale) / Math.log(user.scale_factor)));
  else times = Math.max(1, Math.ceil(Math.log(scale) / Math.log(maxStep) - 1e-9));
  const factor = scale ** (1 / times);
  if (user.scale_factor !== undefined && user.scale_times !== undefined && Math.abs(user.scale_factor ** user.scale_times - scale) > 1e-6 * scale) {
    throw new StudioError(
      'E_CONFIG_INVALID',
      `scale_factor ${user.scale_factor} ^ scale_times ${user.scale_times} = ${user.scale_factor ** user.scale_times}, not the requested scale ${scale}; give only one of them`,
    );
  }
  return { scale_factor: factor, scale_times: times };
}

export function resolveConfig(scale: number, preset: QualityPreset = 'balanced', raw: unknown = {}): EffectiveZssrConfig {
  const parsed = ZssrConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new StudioError('E_CONFIG_INVALID', `invalid ZSSR settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const user = parsed.data;
  const p = PRESETS[preset];
  if (user.in_channels !== undefined && user.in_channels !== 1 && user.in_channels !== 3) {
    throw new StudioError('E_CONFIG_INVALID', `in_channels must be 1 or 3 (alpha is upscaled separately), got ${user.in_channels}`);
  }
  if (user.model_kernel_size !== undefined && user.model_kernel_size % 2 === 0) {
    throw new StudioError('E_CONFIG_INVALID', `model_kernel_size must be odd, got ${user.model_kernel_size}`);
  }
  const cfg: EffectiveZssrConfig = {
    ...DEFAULTS,
    in_channels: (user.in_channels as 1 | 3 | undefined) ?? DEFAULTS.in_channels,
    model_width: user.model_width ?? DEFAULTS.model_width,
    model_depth: user.model_depth ?? DEFAULTS.model_depth,
    model_kernel_size: user.model_kernel_size ?? DEFAULTS.model_kernel_size,
    lr: user.lr ?? DEFAULTS.lr,
    lr_stop: user.lr_stop ?? DEFAULTS.lr_stop,
    lr_decay: user.lr_decay ?? DEFAULTS.lr_decay,
    lr_decay_ratio: user.lr_decay_ratio ?? DEFAULTS.lr_decay_ratio,
    lr_decay_range: user.lr_decay_range ?? DEFAULTS.lr_decay_range,
    lr_decay_step: user.lr_decay_step ?? DEFAULTS.lr_decay_step,
    num_epochs: user.num_epochs ?? p.num_epochs,
    crop_size: user.crop_size ?? p.crop_size,
    patch_size: user.patch_size ?? DEFAULTS.patch_size,
    noise_std: user.noise_std ?? DEFAULTS.noise_std,
    ensemble: user.ensemble ?? p.ensemble,
    back_projection: user.back_projection ?? DEFAULTS.back_projection,
    ...gradual(scale, user, p.max_step_factor),
  };
  if (user.kernel_path) cfg.kernel_path = user.kernel_path;
  if (cfg.lr_decay >= 1) throw new StudioError('E_CONFIG_INVALID', `lr_decay must be below 1 (it multiplies the learning rate), got ${cfg.lr_decay}`);
  if (cfg.lr_decay_range < cfg.rec_every * 2) {
    throw new StudioError('E_CONFIG_INVALID', `lr_decay_range must cover at least two reconstruction measurements (${cfg.rec_every * 2} steps)`);
  }
  return cfg;
}
