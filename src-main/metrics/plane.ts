import { StudioError } from '../contract/errors';

/** One channel of float64 samples, row-major. */
export interface Plane {
  width: number;
  height: number;
  data: Float64Array;
}

/** Removes `shave` pixels from every border (the SR protocol ignores borders: shave = scale). */
export function shavePlane(p: Plane, shave: number): Plane {
  const s = Math.max(0, Math.floor(shave));
  if (s === 0) return p;
  const width = p.width - 2 * s;
  const height = p.height - 2 * s;
  if (width <= 0 || height <= 0) throw new StudioError('E_INVALID_ARGUMENT', `cannot shave ${s} px from a ${p.width}x${p.height} image`);
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) data.set(p.data.subarray((y + s) * p.width + s, (y + s) * p.width + s + width), y * width);
  return { width, height, data };
}

export function sameSize(a: Plane, b: Plane): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new StudioError('E_INVALID_ARGUMENT', `images differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}
