// A deliberately plain transcription of MATLAB imresize's formulas (imresize.m: contributions,
// cubic/box/triangle/lanczos3, symmetric padding, order by scale), written independently of the
// production code, to check it against. Works on 2D arrays of numbers (one channel).

type K = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';

function kernel(k: K, x: number): number {
  const a = Math.abs(x);
  switch (k) {
    case 'nearest':
      return -0.5 <= x && x < 0.5 ? 1 : 0;
    case 'bilinear':
      return (x + 1) * (-1 <= x && x < 0 ? 1 : 0) + (1 - x) * (0 <= x && x <= 1 ? 1 : 0);
    case 'bicubic':
      return (1.5 * a ** 3 - 2.5 * a ** 2 + 1) * (a <= 1 ? 1 : 0) + (-0.5 * a ** 3 + 2.5 * a ** 2 - 4 * a + 2) * (1 < a && a <= 2 ? 1 : 0);
    case 'lanczos3': {
      const eps = 2.220446049250313e-16;
      return ((Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3) + eps) / ((Math.PI ** 2 * x ** 2) / 3 + eps)) * (a < 3 ? 1 : 0);
    }
  }
}
const WIDTH: Record<K, number> = { nearest: 1, bilinear: 2, bicubic: 4, lanczos3: 6 };

/** 1-based MATLAB index -> 0-based index of a symmetric-padded signal of length n. */
function mirror(i1: number, n: number): number {
  let i = i1 - 1;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
  return i;
}

function resize1d(v: number[], outLen: number, scale: number, k: K, aa: boolean): number[] {
  const useAA = aa && scale < 1 && k !== 'nearest';
  const kw = useAA ? WIDTH[k] / scale : WIDTH[k];
  const h = (x: number) => (useAA ? scale * kernel(k, scale * x) : kernel(k, x));
  const out: number[] = [];
  for (let x = 1; x <= outLen; x++) {
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kw / 2);
    const P = Math.ceil(kw) + 2;
    let num = 0;
    let den = 0;
    for (let p = 0; p < P; p++) {
      const w = h(u - (left + p));
      den += w;
      num += w * v[mirror(left + p, v.length)];
    }
    out.push(num / den);
  }
  return out;
}

/** MATLAB imresize of a 2D array (rows x cols) to outH x outW. */
export function referenceResize(img: number[][], outH: number, outW: number, k: K, aa = true, scales?: { h: number; w: number }): number[][] {
  const H = img.length;
  const W = img[0].length;
  const sh = scales?.h ?? outH / H;
  const sw = scales?.w ?? outW / W;
  const alongRows = (m: number[][]) => {
    const cols = m[0].length;
    const res: number[][] = Array.from({ length: outH }, () => new Array<number>(cols));
    for (let c = 0; c < cols; c++) {
      const col = resize1d(m.map((r) => r[c]), outH, sh, k, aa);
      for (let r = 0; r < outH; r++) res[r][c] = col[r];
    }
    return res;
  };
  const alongCols = (m: number[][]) => m.map((r) => resize1d(r, outW, sw, k, aa));
  return sh <= sw ? alongCols(alongRows(img)) : alongRows(alongCols(img));
}
