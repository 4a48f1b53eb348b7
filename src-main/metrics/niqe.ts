// NIQE, the "completely blind" image quality score: lower is more natural. Scores are distances
// from a pristine model fitted on sharp photos; see docs/imaging.md for the shipped model.
import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';
import { lumaY } from './luma';
import { nanMeanCov, mvgDistance, type NiqeModel } from './niqe-model';
import { niqeFeatures, type HalfSize } from './niqe-features';
import { shavePlane, type Plane } from './plane';

export { NIQE_BLOCK, NIQE_FEATURES, niqeFeatures, type HalfSize, type NiqeFeatures } from './niqe-features';
export { fitNiqeModel, parseNiqeModel, readNiqeModel, NiqeModelFile, type NiqeModel } from './niqe-model';

/** NIQE of a grey plane (0-255) against a pristine model: all its 96x96 patches, two scales. */
export function niqePlane(p: Plane, model: NiqeModel, halve: HalfSize): number {
  const { rows } = niqeFeatures(p, halve);
  const fit = nanMeanCov(rows);
  if (fit.complete < 2) {
    throw new StudioError('E_INVALID_ARGUMENT', `NIQE needs at least two textured 96x96 patches; this ${p.width}x${p.height} image has ${fit.complete}`);
  }
  return mvgDistance(model, fit);
}

/**
 * NIQE of an image as the super-resolution literature reports it (PIRM 2018): the 8-bit Y channel
 * (BT.601, as PSNR/SSIM use), `shave` pixels removed from every border.
 */
export function niqeImage(img: FloatImage, model: NiqeModel, halve: HalfSize, shave = 0): number {
  return niqePlane(shavePlane(lumaY(img), shave), model, halve);
}
