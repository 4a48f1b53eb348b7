import type { Upscaler } from '../upscaler';

// Filled by the classical resampler (nearest, bilinear, bicubic, lanczos).
export const classicalUpscalers: Upscaler[] = [];
