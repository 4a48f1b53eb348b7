import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { crop, dihedral, dihedralCrop, median, undihedral } from '../../../../src-main/engine/zssr/image-ops';

const gray = (w: number, h: number, data: number[]): FloatImage => ({ width: w, height: h, channels: 1, data: Float32Array.from(data) });

// np.rot90(m, k % 4), then [:, ::-1] when k >= 4, for m = arange(6).reshape(2, 3)
const NUMPY: [number, number, number[]][] = [
  [3, 2, [0, 1, 2, 3, 4, 5]],
  [2, 3, [2, 5, 1, 4, 0, 3]],
  [3, 2, [5, 4, 3, 2, 1, 0]],
  [2, 3, [3, 0, 4, 1, 5, 2]],
  [3, 2, [2, 1, 0, 5, 4, 3]],
  [2, 3, [5, 2, 4, 1, 3, 0]],
  [3, 2, [3, 4, 5, 0, 1, 2]],
  [2, 3, [0, 3, 1, 4, 2, 5]],
];

describe('dihedral variants', () => {
  const m = gray(3, 2, [0, 1, 2, 3, 4, 5]);
  it('number the 8 variants as numpy rot90 + fliplr', () => {
    NUMPY.forEach(([w, h, data], k) => {
      const v = dihedral(m, k);
      expect([v.width, v.height, Array.from(v.data)]).toEqual([w, h, data]);
    });
  });
  it('undo with undihedral, and crop a variant without building it', () => {
    const img: FloatImage = { width: 5, height: 4, channels: 3, data: Float32Array.from({ length: 60 }, (_, i) => i) };
    for (let k = 0; k < 8; k++) {
      expect(Array.from(undihedral(dihedral(img, k), k).data)).toEqual(Array.from(img.data));
      const v = dihedral(img, k);
      expect(Array.from(dihedralCrop(img, k, 1, 1, 2, 2).data)).toEqual(Array.from(crop(v, 1, 1, 2, 2).data));
    }
  });
});

describe('median', () => {
  it('takes the mean of the middle two for an even count (numpy)', () => {
    const imgs = [1, 5, 2, 8].map((v) => gray(1, 1, [v]));
    expect(median(imgs).data[0]).toBe(3.5);
    expect(median(imgs.slice(0, 3)).data[0]).toBe(2);
  });
});
