import type { ModelInfo } from '../../contract/api';
import type { FloatImage } from '../../contract/image';
import type { Upscaler, UpscaleContext } from '../upscaler';
import { toGray, toRgb } from '../channels';
import { bicubicBackProjection } from './back-projection';
import { zssrUpscale } from './zssr';

export { zssrUpscale, type ZssrReport, type ZssrOptions, type ZssrCheckpoint } from './zssr';
export { backProject, bicubicBackProjection, estimateNoiseStd, type BackProjection } from './back-projection';
export { resolveConfig, PRESETS, REAL_PHOTO, type EffectiveZssrConfig } from './config';
export { loadKernelFile, normaliseKernel } from './kernel-file';
export { bicubicResampler, kernelResampler, isotropic, type Factor, type Resampler } from './resample';
export { ZSSR_ENGINE_VERSION, zssrCacheKey } from './model-io';

const info: ModelInfo = {
  id: 'zssr',
  family: 'zero-shot',
  label: 'ZSSR (learns from the photo itself)',
  scales: [2, 3, 4, 8],
  description:
    'Zero-shot super-resolution: trains a small network on the photo alone, so it adapts to its own blur and noise. Strongest at 2x (Set5: +2.7 dB over bicubic with Balanced); at 4x the gain is small (+0.9 dB). Slow (tens of seconds to minutes); the trained model is cached per photo.',
  source: 'Shocher, Cohen, Irani: "Zero-Shot" Super-Resolution using Deep Internal Learning, CVPR 2018',
  speed: 'draft ~30 s, balanced ~1-2 min, max ~10 min per small photo',
};

export const zssrUpscaler: Upscaler = {
  info,
  upscale(img: FloatImage, ctx: UpscaleContext): Promise<FloatImage> {
    return zssrUpscale(img, ctx);
  },
};

export const zssrUpscalers: Upscaler[] = [zssrUpscaler];

/**
 * `bicubic+bp` (evaluation only, not a menu method): bicubic + 10 back-projection iterations, no
 * network. ZSSR's network is judged by its gain over this.
 */
export const bicubicBpBaseline: Upscaler = {
  info: {
    id: 'bicubic+bp',
    family: 'interpolation',
    label: 'Bicubic + back-projection',
    scales: [2, 3, 4, 8],
    description: 'Bicubic, then 10 back-projection iterations towards the photo: ZSSR with a network that does nothing.',
    speed: 'instant',
  },
  async upscale(img: FloatImage, ctx: UpscaleContext): Promise<FloatImage> {
    const rgb = toRgb(img);
    const out = bicubicBackProjection(rgb, ctx.scale);
    return img.channels === 1 ? toGray(out) : out;
  },
};
