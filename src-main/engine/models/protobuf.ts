// Protocol-buffer wire format, decoded without a schema: the ONNX reader needs a dozen fields of
// one fixed schema, which is less code than shipping onnx.proto and a reflection library.
import { StudioError } from '../../contract/errors';

export interface Field {
  no: number;
  /** 0 varint, 1 fixed64, 2 bytes, 5 fixed32. */
  wire: number;
  /** varint / fixed values. */
  num: number;
  bytes: Uint8Array;
}

const bad = () => new StudioError('E_MODEL_INVALID', 'not a readable ONNX file (damaged or truncated protobuf)');

/** The fields of one message, in order (repeated fields appear several times). */
export function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw bad();
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
    throw bad();
  };
  const empty = new Uint8Array(0);
  while (p < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, num: varint(), bytes: empty });
    else if (wire === 1) {
      if (p + 8 > buf.length) throw bad();
      out.push({ no, wire, num: Number(dv.getBigInt64(p, true)), bytes: buf.subarray(p, p + 8) });
      p += 8;
    } else if (wire === 5) {
      if (p + 4 > buf.length) throw bad();
      out.push({ no, wire, num: dv.getFloat32(p, true), bytes: buf.subarray(p, p + 4) });
      p += 4;
    } else if (wire === 2) {
      const n = varint();
      if (p + n > buf.length) throw bad();
      out.push({ no, wire, num: n, bytes: buf.subarray(p, p + n) });
      p += n;
    } else throw bad();
  }
  return out;
}

export const str = (f: Field) => new TextDecoder().decode(f.bytes);

/** A repeated int64 field, packed or not (varints are read as signed 64-bit). */
export function ints(fs: Field[], no: number): number[] {
  const out: number[] = [];
  for (const f of fs) {
    if (f.no !== no) continue;
    if (f.wire === 0) out.push(signed(f.num));
    else if (f.wire === 2) for (const g of fields(prefixKeys(f.bytes))) out.push(signed(g.num));
  }
  return out;
}

/** A repeated float field, packed or not. */
export function floats(fs: Field[], no: number): number[] {
  const out: number[] = [];
  for (const f of fs) {
    if (f.no !== no) continue;
    if (f.wire === 5) out.push(f.num);
    else if (f.wire === 2) {
      const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
      for (let i = 0; i + 4 <= f.bytes.length; i += 4) out.push(dv.getFloat32(i, true));
    }
  }
  return out;
}

// int64 varints of negative numbers come as 2^64 - n.
const signed = (v: number) => (v >= 2 ** 63 ? v - 2 ** 64 : v);

/** A packed varint run, rewritten as field-0 varints so fields() can read it. */
function prefixKeys(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const b of packed) {
    if (start) out.push(0);
    out.push(b);
    start = !(b & 0x80);
  }
  return Uint8Array.from(out);
}
