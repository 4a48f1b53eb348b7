// imaging/: everything between files and the engine's float pixels (sharp/libvips).
export { decodeImage, decodeSamples, type DecodedSamples } from './decode';
export { admitImage, probeImage } from './probe';
export { encodeImage, encodeSamples, quantize, mimeType, outputDepth, supports16Bit, ENCODE_FORMATS, JPEG_OPTIMISE_MAX_PIXELS } from './encode';
export { writeOutput, freeOutputPath, type WriteOutputOptions } from './atomic';
export { DEFAULT_LIMITS, resolveLimits, checkOutputSize, checkInputPixels, checkFileSize } from './limits';
export { cropToPng, renderPreview, type PreviewOptions } from './preview';
export { sniffFormat, type SniffedFormat } from './sniff';
export { loadKernelFile, normaliseKernel, parseKernelText, MAX_KERNEL_SIDE } from './kernel-file';
export type { CarriedMeta, DecodedImage, EncodeFormat, EncodeOptions, ImageLimits, ImageMeta, ImageSource, InputFormat } from './types';
export { svgToPng } from './svg';
export { rasterOf, type Raster } from './render/raster';
export { samplesRenderSource } from './render/source';
