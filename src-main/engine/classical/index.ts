import type { ModelInfo } from '../../contract/api';
import type { ClassicalMethod } from '../../contract/enhance';
import type { FloatImage } from '../../contract/image';
import { outputSize, type Upscaler, type UpscaleContext } from '../upscaler';
import { imresize } from './imresize';
import type { ResizeKernel } from './kernels';

export { imresize, planResize, resizeFloat, resizeRows, resizeToBuffer } from './imresize';
export { makeLowRes, modcrop } from './degrade';
export { halfPlane, resizePlane } from './resize-plane';
export type { BufferResizeOptions, RawImage, ResizeOptions, ResizePlan, ResizeTarget, Samples } from './imresize';
export type { ResizeKernel } from './kernels';

const SCALES = [2, 3, 4, 8];

const METHODS: { id: ClassicalMethod; kernel: ResizeKernel; label: string; description: string; speed: string }[] = [
  { id: 'nearest', kernel: 'nearest', label: 'Nearest neighbour', description: 'Repeats each pixel: blocky, keeps hard pixel edges (pixel art, screenshots).', speed: 'instant' },
  { id: 'bilinear', kernel: 'bilinear', label: 'Bilinear', description: 'Linear blend of the 4 nearest pixels: smooth but soft.', speed: 'instant' },
  { id: 'bicubic', kernel: 'bicubic', label: 'Bicubic', description: 'Cubic (a = -0.5) over 4x4 pixels, MATLAB imresize compatible: the standard baseline, slightly sharper than bilinear.', speed: 'instant' },
  { id: 'lanczos', kernel: 'lanczos3', label: 'Lanczos3', description: 'Windowed sinc over 6x6 pixels: the sharpest interpolation, with faint ringing at hard edges.', speed: 'instant' },
];

function clamp01(img: FloatImage): FloatImage {
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < 0) d[i] = 0;
    else if (v > 1) d[i] = 1;
  }
  return img;
}

function makeUpscaler(m: (typeof METHODS)[number]): Upscaler {
  const info: ModelInfo = { id: m.id, family: 'interpolation', label: m.label, scales: SCALES, description: m.description, speed: m.speed };
  return {
    info,
    async upscale(img: FloatImage, ctx: UpscaleContext): Promise<FloatImage> {
      const size = outputSize(img.width, img.height, ctx.scale);
      const out = imresize(img, size, m.kernel, true, {
        signal: ctx.signal,
        onProgress: ctx.onProgress ? (done, total) => ctx.onProgress?.({ phase: 'infer', done, total }) : undefined,
      });
      // Cubic and sinc kernels overshoot; the engine's pixel format is [0,1].
      return clamp01(out);
    },
  };
}

/** The resampling kernel behind a classical method id, or undefined for any other method. */
export function classicalKernel(methodId: string): ResizeKernel | undefined {
  return METHODS.find((m) => m.id === methodId)?.kernel;
}

/** nearest, bilinear, bicubic, lanczos: exact MATLAB imresize kernels at any factor. */
export const classicalUpscalers: Upscaler[] = METHODS.map(makeUpscaler);
