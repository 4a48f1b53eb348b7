// KernelGAN: the photo's blur kernel estimated from the photo itself, and Blind ZSSR built on it.
export { estimateKernel, runKernelGan, kernelForScale, KERNELGAN_DEFAULTS, KERNELGAN_VERSION, type KernelGanOptions, type KernelGanResult } from './kernelgan';
export { blindZssrUpscale, blindZssrConfig, photoKernel, kernelCacheKey, withBlindOption, BLIND_ZSSR_DEFAULTS, type BlindOptions } from './blind';
export { toMatrix, fromMatrix, analyticX4, zeroizeNegligible, type Kernel } from './post';
export { randomAnisotropicKernel, gaussianKernel, kernelError, type RandomKernel } from './synthetic';
export { bicubicKernel } from './constraints';
