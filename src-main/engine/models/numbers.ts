// Weight files store fp16, bf16 or fp32; the graph IR holds float32. One conversion each.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half -> float (exact: every half is a float). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const HALF_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = halfToFloat(i);
  return t;
})();

export type StoredDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';

export const DTYPE_BYTES: Record<StoredDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

/** `count` little-endian values of `dtype` starting at `offset` of `bytes`, as float32. */
export function readFloats(bytes: Uint8Array, offset: number, count: number, dtype: StoredDtype): Float32Array {
  const need = count * DTYPE_BYTES[dtype];
  if (offset < 0 || offset + need > bytes.byteLength) throw new RangeError(`needs ${need} bytes at ${offset}, the data has ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, need);
  const out = new Float32Array(count);
  if (dtype === 'float32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === 'float64') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  } else if (dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = HALF_TABLE[view.getUint16(2 * i, true)];
  } else {
    for (let i = 0; i < count; i++) {
      u32[0] = view.getUint16(2 * i, true) << 16;
      out[i] = f32[0];
    }
  }
  return out;
}

/** float -> IEEE half bits, or undefined when the value is not exactly a half (then keep float32). */
export function exactHalf(v: number): number | undefined {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return Number.isNaN(a) ? undefined : sign | 0x7c00;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 rounding
  if (e < -14) {
    const m = a / 2 ** -24; // subnormal
    return Number.isInteger(m) && m < 1024 ? sign | m : undefined;
  }
  if (e > 15) return undefined;
  const m = (a / 2 ** e - 1) * 1024;
  return Number.isInteger(m) ? sign | ((e + 15) << 10) | m : undefined;
}
