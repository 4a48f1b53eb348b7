import type { FloatImage } from '../../contract/image';

/**
 * The 8 dihedral variants, numbered as numpy: k % 4 counter-clockwise quarter turns
 * (np.rot90), then a left-right flip when k >= 4.
 * `dihedralSource(k, w, h)` maps a pixel (x, y) of variant k back to the original image.
 */
export function dihedralSize(k: number, w: number, h: number): { width: number; height: number } {
  return k % 2 === 1 ? { width: h, height: w } : { width: w, height: h };
}

export function dihedralSource(k: number, w: number, h: number): (x: number, y: number) => [number, number] {
  const vw = k % 2 === 1 ? h : w;
  const flip = k >= 4;
  switch (k % 4) {
    case 0:
      return (x, y) => [flip ? vw - 1 - x : x, y];
    case 1: // out[i][j] = m[j][W-1-i]
      return (x, y) => [w - 1 - y, flip ? vw - 1 - x : x];
    case 2: // out[i][j] = m[H-1-i][W-1-j]
      return (x, y) => [w - 1 - (flip ? vw - 1 - x : x), h - 1 - y];
    default: // out[i][j] = m[H-1-j][i]
      return (x, y) => [y, h - 1 - (flip ? vw - 1 - x : x)];
  }
}

/** Variant k of a whole image. */
export function dihedral(img: FloatImage, k: number): FloatImage {
  const { width: W, height: H, channels: C } = img;
  const { width: vw, height: vh } = dihedralSize(k, W, H);
  const src = dihedralSource(k, W, H);
  const out = new Float32Array(vw * vh * C);
  for (let y = 0; y < vh; y++) {
    for (let x = 0; x < vw; x++) {
      const [sx, sy] = src(x, y);
      const s = (sy * W + sx) * C;
      const d = (y * vw + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = img.data[s + c];
    }
  }
  return { width: vw, height: vh, channels: C, data: out };
}

/** Inverse of `dihedral(·, k)`: maps variant k back to the original orientation. */
export function undihedral(img: FloatImage, k: number): FloatImage {
  const { width: vw, height: vh, channels: C } = img;
  const { width: W, height: H } = dihedralSize(k, vw, vh); // original size (odd k swaps back)
  const src = dihedralSource(k, W, H);
  const out = new Float32Array(W * H * C);
  for (let y = 0; y < vh; y++) {
    for (let x = 0; x < vw; x++) {
      const [sx, sy] = src(x, y);
      const d = (sy * W + sx) * C;
      const s = (y * vw + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = img.data[s + c];
    }
  }
  return { width: W, height: H, channels: C, data: out };
}

/** A w x h crop at (x0, y0) of variant k of `img`, without building the whole variant. */
export function dihedralCrop(img: FloatImage, k: number, x0: number, y0: number, w: number, h: number): FloatImage {
  const { width: W, height: H, channels: C } = img;
  const src = dihedralSource(k, W, H);
  const out = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = src(x0 + x, y0 + y);
      const s = (sy * W + sx) * C;
      const d = (y * w + x) * C;
      for (let c = 0; c < C; c++) out[d + c] = img.data[s + c];
    }
  }
  return { width: w, height: h, channels: C, data: out };
}

export function crop(img: FloatImage, x0: number, y0: number, w: number, h: number): FloatImage {
  const C = img.channels;
  const out = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((y0 + y) * img.width + x0) * C, ((y0 + y) * img.width + x0 + w) * C), y * w * C);
  return { width: w, height: h, channels: img.channels, data: out };
}

export function clamp01(img: FloatImage): FloatImage {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i] < 0 ? 0 : d[i] > 1 ? 1 : d[i];
  return img;
}

export function mse(a: FloatImage, b: FloatImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
  return s / a.data.length;
}

/** Per-sample median of equally sized images (numpy: the mean of the two middle values for an even count). */
export function median(imgs: FloatImage[]): FloatImage {
  const n = imgs.length;
  const first = imgs[0];
  const out = new Float32Array(first.data.length);
  const v = new Float64Array(n);
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < n; j++) v[j] = imgs[j].data[i];
    v.sort();
    out[i] = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  return { width: first.width, height: first.height, channels: first.channels, data: out };
}
