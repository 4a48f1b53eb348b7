import type { ModelInfo } from '../../contract/api';
import type { FloatImage } from '../../contract/image';
import type { Upscaler, UpscaleContext } from '../upscaler';
import { toGray, toRgb } from '../channels';
import { bicubicBackProjection } from './back-projection';
import { zssrUpscale } from './zssr';

export { zssrUpscale, type ZssrReport, type ZssrOptions, type ZssrCheckpoint } from './zssr';
export { backProject, bicubicBackProjection, estimateNoiseStd, type BackProjection } from './back-projection';
export { resolveConfig, PRESETS, REAL_PHOTO, type EffectiveZssrConfig } from './config';
export { bicubicResampler, kernelResampler, isotropic, type Factor, type Resampler } from './resample';
export { ZSSR_ENGINE_VERSION, zssrCacheKey } from './model-io';

const info: ModelInfo = {
  id: 'zssr',
  family: 'zero-shot',
  label: 'ZSSR (learns from the photo itself)',
  scales: [2, 3, 4, 8],
  description:
    'Learns from your photo alone: a small network trained on the photo\'s own details, so it keeps its real blur and noise and invents nothing. Best at 2x on sharp subjects (edges, text, patterns, buildings); at 4x it goes in two 2x steps and adds less, and Max (slower) adds most there. For camera photos with noise or JPEG, turn on Real photo; if the photo is soft and you do not know why (lens, focus, a little shake), use Blind ZSSR. For a crisp look with invented texture pick Real-ESRGAN; for many photos quickly and faithfully, an ESRGAN model. Takes minutes; the trained model is kept per photo.',
  source: 'Shocher, Cohen, Irani: "Zero-Shot" Super-Resolution using Deep Internal Learning, CVPR 2018',
  speed: 'per small photo on two cores: draft under a minute, balanced ~2 min at 2x and about twice that at 4x, max 10 minutes or more',
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
