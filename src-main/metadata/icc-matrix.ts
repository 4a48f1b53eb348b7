// A minimal ICC v2 matrix/TRC display profile built from published colorimetry (primaries,
// white point, gamma). Used to ship an "Adobe RGB (1998) compatible" profile: libvips only has
// sRGB, Display P3 and CMYK built in, and no npm package ships an Adobe RGB profile with a
// licence that allows bundling. resources/presets/icc/*.icc are this code's output (a test
// checks they match), so the bytes are reproducible.

type XY = [number, number];
type XYZ = [number, number, number];
type M3 = [XYZ, XYZ, XYZ];

export interface MatrixProfileSpec {
  description: string;
  copyright: string;
  red: XY;
  green: XY;
  blue: XY;
  white: XY;
  /** Pure power-law tone curve, as stored in a curv tag (u8Fixed8). */
  gamma: number;
}

/** Adobe RGB (1998) colour image encoding, version 2005-05: D65, gamma 563/256. */
export const ADOBE_RGB_1998: MatrixProfileSpec = {
  description: 'Adobe RGB (1998) compatible',
  copyright: 'No copyright, use freely',
  red: [0.64, 0.33],
  green: [0.21, 0.71],
  blue: [0.15, 0.06],
  white: [0.3127, 0.329],
  gamma: 563 / 256,
};

const D50: XYZ = [0.9642, 1.0, 0.8249];

const xyToXYZ = ([x, y]: XY): XYZ => [x / y, 1, (1 - x - y) / y];

function mul(a: M3, b: M3): M3 {
  const r = (i: number, j: number) => a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return [
    [r(0, 0), r(0, 1), r(0, 2)],
    [r(1, 0), r(1, 1), r(1, 2)],
    [r(2, 0), r(2, 1), r(2, 2)],
  ];
}

function mulv(a: M3, v: XYZ): XYZ {
  return [a[0][0] * v[0] + a[0][1] * v[1] + a[0][2] * v[2], a[1][0] * v[0] + a[1][1] * v[1] + a[1][2] * v[2], a[2][0] * v[0] + a[2][1] * v[1] + a[2][2] * v[2]];
}

export function invert3(m: M3): M3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** RGB (linear) -> XYZ matrix for the given primaries and white (columns = primaries). */
export function rgbToXyzMatrix(spec: Pick<MatrixProfileSpec, 'red' | 'green' | 'blue' | 'white'>): M3 {
  const [r, g, b] = [xyToXYZ(spec.red), xyToXYZ(spec.green), xyToXYZ(spec.blue)];
  const P: M3 = [
    [r[0], g[0], b[0]],
    [r[1], g[1], b[1]],
    [r[2], g[2], b[2]],
  ];
  const S = mulv(invert3(P), xyToXYZ(spec.white));
  return [
    [P[0][0] * S[0], P[0][1] * S[1], P[0][2] * S[2]],
    [P[1][0] * S[0], P[1][1] * S[1], P[1][2] * S[2]],
    [P[2][0] * S[0], P[2][1] * S[1], P[2][2] * S[2]],
  ];
}

const BRADFORD: M3 = [
  [0.8951, 0.2664, -0.1614],
  [-0.7502, 1.7135, 0.0367],
  [0.0389, -0.0685, 1.0296],
];

/** Bradford chromatic adaptation from one white (XYZ, Y=1) to another. */
function bradford(from: XYZ, to: XYZ): M3 {
  const s = mulv(BRADFORD, from);
  const d = mulv(BRADFORD, to);
  const D: M3 = [
    [d[0] / s[0], 0, 0],
    [0, d[1] / s[1], 0],
    [0, 0, d[2] / s[2]],
  ];
  return mul(invert3(BRADFORD), mul(D, BRADFORD));
}

function s15f16(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(Math.round(v * 65536), 0);
  return b;
}

function xyzTag(v: XYZ): Buffer {
  return Buffer.concat([Buffer.from('XYZ \0\0\0\0', 'latin1'), s15f16(v[0]), s15f16(v[1]), s15f16(v[2])]);
}

function curvTag(gamma: number): Buffer {
  const b = Buffer.alloc(14);
  b.write('curv', 0, 'latin1');
  b.writeUInt32BE(1, 8);
  b.writeUInt16BE(Math.round(gamma * 256), 12);
  return b;
}

function textTag(text: string): Buffer {
  return Buffer.concat([Buffer.from('text\0\0\0\0', 'latin1'), Buffer.from(`${text}\0`, 'latin1')]);
}

/** v2 textDescriptionType: ASCII part, empty Unicode and ScriptCode parts. */
function descTag(text: string): Buffer {
  const ascii = Buffer.from(`${text}\0`, 'latin1');
  const head = Buffer.alloc(12);
  head.write('desc', 0, 'latin1');
  head.writeUInt32BE(ascii.length, 8);
  const tail = Buffer.alloc(4 + 4 + 2 + 1 + 67);
  return Buffer.concat([head, ascii, tail]);
}

const pad4 = (b: Buffer) => (b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b);

/** The ICC profile bytes (v2.1, class mntr, RGB -> XYZ PCS, D50-adapted colorants). */
export function buildMatrixProfile(spec: MatrixProfileSpec): Buffer {
  const white = xyToXYZ(spec.white);
  const toD50 = mul(bradford(white, D50), rgbToXyzMatrix(spec));
  const col = (j: number): XYZ => [toD50[0][j], toD50[1][j], toD50[2][j]];
  const trc = curvTag(spec.gamma);
  const tags: [string, Buffer][] = [
    ['desc', descTag(spec.description)],
    ['cprt', textTag(spec.copyright)],
    ['wtpt', xyzTag(white)],
    ['rXYZ', xyzTag(col(0))],
    ['gXYZ', xyzTag(col(1))],
    ['bXYZ', xyzTag(col(2))],
    ['rTRC', trc],
    ['gTRC', trc],
    ['bTRC', trc],
  ];
  const tableSize = 4 + tags.length * 12;
  let offset = 128 + tableSize;
  const table = Buffer.alloc(tableSize);
  table.writeUInt32BE(tags.length, 0);
  const bodies: Buffer[] = [];
  const seen = new Map<Buffer, number>();
  tags.forEach(([sig, data], i) => {
    const at = 4 + i * 12;
    table.write(sig, at, 'latin1');
    let where = seen.get(data);
    if (where === undefined) {
      where = offset;
      seen.set(data, where);
      const padded = pad4(data);
      bodies.push(padded);
      offset += padded.length;
    }
    table.writeUInt32BE(where, at + 4);
    table.writeUInt32BE(data.length, at + 8);
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrRGB XYZ ', 12, 'latin1');
  // Fixed creation date: identical bytes on every build.
  [2024, 1, 1, 0, 0, 0].forEach((v, i) => header.writeUInt16BE(v, 24 + i * 2));
  header.write('acsp', 36, 'latin1');
  s15f16(D50[0]).copy(header, 68);
  s15f16(D50[1]).copy(header, 72);
  s15f16(D50[2]).copy(header, 76);
  return Buffer.concat([header, table, ...bodies]);
}
