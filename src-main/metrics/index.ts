// metrics/: image quality by the super-resolution evaluation protocol.
export { lumaY, roundU8 } from './luma';
export { shavePlane, type Plane } from './plane';
export { psnrPlane } from './psnr';
export { ssimPlane } from './ssim';
export { srMetrics, type SrScore } from './sr';
export { niqeImage, niqePlane, niqeFeatures, fitNiqeModel, parseNiqeModel, readNiqeModel, NiqeModelFile, NIQE_BLOCK, NIQE_FEATURES, type HalfSize, type NiqeFeatures, type NiqeModel } from './niqe';
