import { StudioError } from '../../contract/errors';
import { ZssrConfig, type QualityPreset, type ZssrScale } from '../../contract/enhance';
import { kernelIsSymmetric, type Factor } from './resample';

/** Jitter of the fathers (the original ZSSR's random_augment). */
export interface AugmentConfig {
  /** Probability of a plain crop of the photo (no flip, rotation or scaling). */
  leave_as_is_probability: number;
  /** Probability of a crop of a 90-degree rotation/flip (no interpolation). */
  no_interpolate_probability: number;
  /** Smallest random scale of a father (the rest is an affine warp: scale, rotation, shear). */
  min_scale: number;
  /** Standard deviation of the difference between the horizontal and vertical scale. */
  scale_diff_sigma: number;
  shear_sigma: number;
  /** Rotations and flips (off for blur kernels that are not symmetric). */
  allow_rotation: boolean;
}

/** One gradual-SR step. */
export interface ZssrStage {
  /** Output scale relative to the photo. */
  scale: Factor;
  /** Index of the earlier stage whose output is this stage's input, or -1 for the photo. */
  base: number;
  /** Factor from the input of this stage to its output (scale / the base's scale). */
  factor: Factor;
  bpIters: number;
}

/**
 * Everything a ZSSR run depends on, after the preset, the "Real photo" setting and the kernel
 * filled what the user left out. The cache key hashes this object, so two runs with equal
 * settings share trained weights.
 *
 * Names follow the source document's config.json and the original ZSSR's configs.py; their
 * meaning follows the original ZSSR (the document's own code reads `lr_decay_step` from
 * `lr_decay_range` and fits the line with swapped axes to the noisy training loss: here each key
 * means what its name says).
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
  /** The gradual steps, the last one ending at the requested scale. */
  stages: ZssrStage[];
  init_net_for_each_sf: boolean;
  noise_std: number;
  /** 8-way geometric self-ensemble (median): 'auto' = only while the output is at most 4 MP. */
  ensemble: boolean | 'auto';
  augment: AugmentConfig;
  real_photo: boolean;
  kernel_path?: string;
}

/** Output pixels above which the 'auto' ensemble is skipped (8 passes over a big photo take long). */
export const AUTO_ENSEMBLE_MAX_PIXELS = 4_000_000;

interface PresetValues {
  crop_size: number;
  num_epochs: number;
  ensemble: boolean | 'auto';
  /** Gradual steps for a scale (absolute scales, the last = the scale) and the base changes. */
  stages(scale: number): { scales: Factor[]; baseChanges: Factor[]; bpIters?: number[] };
  augment: AugmentConfig;
}

const f2 = (y: number, x: number): Factor => ({ y, x });
const one = (scale: number): { scales: Factor[]; baseChanges: Factor[] } => ({ scales: [f2(scale, scale)], baseChanges: [] });

/** The original ZSSR's X2_GRADUAL_IDEAL_CONF: six anisotropic steps up to x2 and their iterations. */
const GRADUAL_X2: { scales: Factor[]; bpIters: number[] } = {
  scales: [f2(1, 1.5), f2(1.5, 1), f2(1.5, 1.5), f2(1.5, 2), f2(2, 1.5), f2(2, 2)],
  bpIters: [6, 6, 8, 10, 10, 12],
};

/** The original ZSSR's random_augment defaults. */
const REFERENCE_AUGMENT: AugmentConfig = {
  leave_as_is_probability: 0.05,
  no_interpolate_probability: 0.45,
  min_scale: 0.5,
  scale_diff_sigma: 0.25,
  shear_sigma: 0.1,
  allow_rotation: true,
};
/** Dihedral crops only (what the studio did before jitter existed). */
const DIHEDRAL_ONLY: AugmentConfig = { ...REFERENCE_AUGMENT, leave_as_is_probability: 0, no_interpolate_probability: 1 };

/**
 * Draft: a quick look (short training on small crops, one pass). Balanced: most of ZSSR's gain
 * in a fraction of its time; beyond x2 in steps of at most x2. Max: the paper: crop 128, up to 3000 steps per step, the ensemble,
 * gradual steps (the original's six anisotropic steps to x2; beyond x2, x2 and then steps of at
 * most x2 from the x2 result) and scale/shear jitter.
 */
export const PRESETS: Record<QualityPreset, PresetValues> = {
  draft: { crop_size: 64, num_epochs: 300, ensemble: false, stages: one, augment: DIHEDRAL_ONLY },
  // Beyond x2 in steps of at most x2, each from the last result: one x4 step from a 128-pixel photo
  // learns that photo's own pixels and loses to interpolation (Set5 bird x4: 29.88 dB against
  // bicubic + back-projection's 31.32; x2 then x2: 32.15).
  balanced: { crop_size: 64, num_epochs: 2000, ensemble: 'auto', stages: (s) => (s <= 2 ? one(s) : gradualEven(s, 2)), augment: DIHEDRAL_ONLY },
  max: {
    crop_size: 128,
    num_epochs: 3000,
    ensemble: true,
    stages: (s) => {
      if (s === 2) return { ...GRADUAL_X2, baseChanges: [] };
      if (s < 2) return one(s);
      // x2 as the original, then steps of at most x2 from the x2 result.
      const rest = gradualEven(s / 2, 2);
      return { scales: [...GRADUAL_X2.scales, ...rest.scales.map((f) => f2(2 * f.y, 2 * f.x))], baseChanges: [f2(2, 2), ...rest.baseChanges.map((f) => f2(2 * f.y, 2 * f.x))], bpIters: [...GRADUAL_X2.bpIters, ...rest.scales.map(() => 10)] };
    },
    augment: REFERENCE_AUGMENT,
  },
};

/** The fewest equal steps of at most `maxStep`, each step's output the next one's input. */
function gradualEven(scale: number, maxStep: number): { scales: Factor[]; baseChanges: Factor[] } {
  return equalSteps(scale, Math.max(1, Math.ceil(Math.log(scale) / Math.log(maxStep) - 1e-9)));
}

function equalSteps(scale: number, times: number): { scales: Factor[]; baseChanges: Factor[] } {
  const f = scale ** (1 / times);
  const scales = Array.from({ length: times }, (_, i) => (i === times - 1 ? scale : f ** (i + 1))).map((s) => f2(s, s));
  return { scales, baseChanges: scales.slice(0, -1) };
}

/**
 * The original ZSSR's configuration for real photos (X2_REAL_CONF): mild noise in the sons, no
 * back-projection (it would copy the photo's noise into the result), no ensemble, no jitter of
 * scale or shear.
 */
export const REAL_PHOTO = { noise_std: 0.0125, back_projection_iters: 0, ensemble: false, augment_scale_diff_sigma: 0, augment_shear_sigma: 0, augment_min_scale: 0.75 } as const;

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
  back_projection_iters: 10,
  /** Iterations with a given kernel on a clean photo (the original's X2_GIVEN_KERNEL_CONF). */
  kernel_back_projection_iters: 2,
};

function invalid(message: string): StudioError {
  return new StudioError('E_CONFIG_INVALID', message);
}

const asFactor = (s: ZssrScale): Factor => (typeof s === 'number' ? f2(s, s) : f2(s[0], s[1]));
const sameFactor = (a: Factor, b: Factor): boolean => Math.abs(a.y - b.y) < 1e-3 && Math.abs(a.x - b.x) < 1e-3;
const show = (f: Factor): string => (f.x === f.y ? `${+f.x.toFixed(4)}` : `[${+f.y.toFixed(4)}, ${+f.x.toFixed(4)}]`);

/** The user's gradual steps (scale_factors, or the document's scale_factor/scale_times), else the preset's. */
function planStages(scale: number, user: ZssrConfig, p: PresetValues): { scales: Factor[]; baseChanges: Factor[]; bpIters?: number[] } {
  if (user.scale_factors && (user.scale_factor !== undefined || user.scale_times !== undefined)) {
    throw invalid('give either scale_factors or scale_factor/scale_times, not both');
  }
  if (user.scale_factors) {
    const scales = user.scale_factors.map(asFactor);
    const last = scales[scales.length - 1];
    if (!sameFactor(last, f2(scale, scale))) throw invalid(`scale_factors must end at the requested scale ${scale}, not ${show(last)}`);
    return { scales: [...scales.slice(0, -1), f2(scale, scale)], baseChanges: (user.base_change_sfs ?? []).map(asFactor) };
  }
  if (user.scale_factor !== undefined || user.scale_times !== undefined) {
    if (scale <= 1) return one(scale);
    let times: number;
    if (user.scale_times !== undefined) times = user.scale_times;
    else times = user.scale_factor! > 1 ? Math.max(1, Math.round(Math.log(scale) / Math.log(user.scale_factor!))) : 1;
    if (user.scale_factor !== undefined && user.scale_times !== undefined && Math.abs(user.scale_factor ** user.scale_times - scale) > 1e-6 * scale) {
      throw invalid(`scale_factor ${user.scale_factor} ^ scale_times ${user.scale_times} = ${user.scale_factor ** user.scale_times}, not the requested scale ${scale}; give only one of them`);
    }
    return equalSteps(scale, times);
  }
  const planned = p.stages(scale);
  return user.base_change_sfs ? { ...planned, baseChanges: user.base_change_sfs.map(asFactor) } : planned;
}

function buildStages(plan: { scales: Factor[]; baseChanges: Factor[]; bpIters?: number[] }, iters: number[] | number): ZssrStage[] {
  const { scales, baseChanges } = plan;
  // The original's own list goes [1, 1.5] then [1.5, 1]: steps need not grow on both axes, only differ.
  for (let i = 1; i < scales.length; i++) {
    if (sameFactor(scales[i], scales[i - 1])) throw invalid(`scale_factors repeats ${show(scales[i])}`);
  }
  for (const b of baseChanges) {
    const i = scales.findIndex((s) => sameFactor(s, b));
    if (i < 0 || i === scales.length - 1) throw invalid(`base_change_sfs ${show(b)} is not one of the intermediate scale_factors (${scales.slice(0, -1).map(show).join(', ') || 'none'})`);
  }
  if (Array.isArray(iters) && iters.length !== scales.length) {
    throw invalid(`back_projection_iters has ${iters.length} entries for ${scales.length} gradual step(s); give one number or one per step`);
  }
  let base = -1;
  let baseScale = f2(1, 1);
  return scales.map((scale, i) => {
    const stage: ZssrStage = { scale, base, factor: f2(scale.y / baseScale.y, scale.x / baseScale.x), bpIters: Array.isArray(iters) ? iters[i] : iters };
    if (stage.factor.y < 1 - 1e-9 || stage.factor.x < 1 - 1e-9) throw invalid(`step ${show(scale)} is smaller than its input (${show(baseScale)})`);
    if (baseChanges.some((b) => sameFactor(b, scale))) {
      base = i;
      baseScale = scale;
    }
    return stage;
  });
}

export interface ConfigContext {
  /** The degradation kernel (normalised), when one is given or estimated. */
  kernel?: number[][];
}

/**
 * Effective settings: the user's keys, else the "Real photo" values when that setting is on
 * (the default with a kernel), else the kernel's (fewer back-projection iterations; no
 * rotations for a kernel that is not symmetric), else the preset's.
 */
export function resolveConfig(scale: number, preset: QualityPreset = 'balanced', raw: unknown = {}, env: ConfigContext = {}): EffectiveZssrConfig {
  const parsed = ZssrConfig.safeParse(raw ?? {});
  if (!parsed.success) {
    throw invalid(`invalid ZSSR settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const user = parsed.data;
  const p = PRESETS[preset];
  if (user.in_channels !== undefined && user.in_channels !== 1 && user.in_channels !== 3) {
    throw invalid(`in_channels must be 1 or 3 (alpha is upscaled separately), got ${user.in_channels}`);
  }
  if (user.model_kernel_size !== undefined && user.model_kernel_size % 2 === 0) {
    throw invalid(`model_kernel_size must be odd, got ${user.model_kernel_size}`);
  }
  const hasKernel = !!env.kernel || !!user.kernel_path;
  const real = user.real_photo ?? hasKernel;
  // A blur that is not symmetric changes under rotation: rotated fathers would teach another blur.
  const symmetric = env.kernel ? kernelIsSymmetric(env.kernel) : !user.kernel_path;
  const planned = planStages(scale, user, p);
  let iters: number | number[];
  if (user.back_projection === false) iters = 0;
  else if (user.back_projection_iters !== undefined) iters = user.back_projection_iters;
  else if (real) iters = REAL_PHOTO.back_projection_iters;
  else if (hasKernel) iters = DEFAULTS.kernel_back_projection_iters;
  else iters = planned.bpIters ?? DEFAULTS.back_projection_iters;
  const pa = p.augment;
  const augment: AugmentConfig = {
    leave_as_is_probability: user.augment_leave_as_is_probability ?? pa.leave_as_is_probability,
    no_interpolate_probability: user.augment_no_interpolate_probability ?? pa.no_interpolate_probability,
    min_scale: user.augment_min_scale ?? (real ? Math.max(pa.min_scale, REAL_PHOTO.augment_min_scale) : pa.min_scale),
    scale_diff_sigma: user.augment_scale_diff_sigma ?? (real ? REAL_PHOTO.augment_scale_diff_sigma : pa.scale_diff_sigma),
    shear_sigma: user.augment_shear_sigma ?? (real ? REAL_PHOTO.augment_shear_sigma : pa.shear_sigma),
    allow_rotation: user.augment_allow_rotation ?? (pa.allow_rotation && symmetric),
  };
  if (augment.leave_as_is_probability + augment.no_interpolate_probability > 1 + 1e-9) {
    throw invalid('augment_leave_as_is_probability + augment_no_interpolate_probability must be at most 1');
  }
  const cfg: EffectiveZssrConfig = {
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
    rec_every: DEFAULTS.rec_every,
    num_epochs: user.num_epochs ?? p.num_epochs,
    crop_size: user.crop_size ?? p.crop_size,
    patch_size: user.patch_size ?? DEFAULTS.patch_size,
    stages: buildStages(planned, iters),
    init_net_for_each_sf: user.init_net_for_each_sf ?? false,
    noise_std: user.noise_std ?? (real ? REAL_PHOTO.noise_std : DEFAULTS.noise_std),
    ensemble: user.ensemble ?? (real ? REAL_PHOTO.ensemble : symmetric ? p.ensemble : false),
    augment,
    real_photo: real,
  };
  if (user.kernel_path) cfg.kernel_path = user.kernel_path;
  if (cfg.lr_decay >= 1) throw invalid(`lr_decay must be below 1 (it multiplies the learning rate), got ${cfg.lr_decay}`);
  if (cfg.lr_decay_range < cfg.rec_every * 2) {
    throw invalid(`lr_decay_range must cover at least two reconstruction measurements (${cfg.rec_every * 2} steps)`);
  }
  return cfg;
}
