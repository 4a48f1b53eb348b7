// Small model files made in the test: a .safetensors writer and a stored-zip writer (enough to
// make PyTorch-style checkpoints, harmless and malicious).
export function safetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [k, t] of Object.entries(tensors)) {
    header[k] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let p = 8 + h.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A zip of stored entries. */
export function zip(entries: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of Object.entries(entries)) {
    const n = new TextEncoder().encode(name);
    const local = new Uint8Array(30 + n.length);
    const dv = new DataView(local.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint32(14, crc32(data), true);
    dv.setUint32(18, data.length, true);
    dv.setUint32(22, data.length, true);
    dv.setUint16(26, n.length, true);
    local.set(n, 30);
    const cd = new Uint8Array(46 + n.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc32(data), true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, off, true);
    cd.set(n, 46);
    parts.push(local, data);
    central.push(cd);
    off += local.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, off, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of all) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Protocol-2 pickle that calls os.system('echo pwned') when Python loads it. */
export const EVIL_PICKLE = Uint8Array.from([0x80, 0x02, ...new TextEncoder().encode('cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwned\x85R.')]);

/**
 * A PyTorch checkpoint in the format of torch < 1.6 (pickles, then raw storages), holding
 * {'params': {name: float32 tensor}} the way torch.save wrote it.
 */
export function legacyCheckpoint(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  const u32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
  const str = (s: string) => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b]; // BINUNICODE
  };
  const int = (v: number) => [0x4a, ...u32(v)]; // BININT
  const tuple = (items: number[][]) => [0x28, ...items.flat(), 0x74]; // MARK ... TUPLE
  const global = (mod: string, name: string) => [0x63, ...enc.encode(`${mod}\n${name}\n`)];
  // magic number, protocol version, sys info
  out.push(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e);
  out.push(0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e);
  out.push(0x80, 0x02, 0x7d, 0x2e);
  // main object
  out.push(0x80, 0x02, 0x7d, ...str('params'), 0x7d);
  const names = Object.keys(tensors);
  names.forEach((name, k) => {
    const t = tensors[name];
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    out.push(...str(name), ...global('torch._utils', '_rebuild_tensor_v2'));
    const pid = tuple([str('storage'), global('torch', 'FloatStorage'), str(String(k)), str('cpu'), int(t.data.length), [0x4e]]);
    out.push(0x28, ...pid, 0x51, ...int(0), ...tuple(t.shape.map(int)), ...tuple(stride.map(int)), 0x89, ...global('collections', 'OrderedDict'), 0x29, 0x52, 0x74, 0x52, 0x73);
  });
  out.push(0x73, 0x2e); // params -> inner dict; STOP
  // storage keys, then each storage: int64 element count + data
  out.push(0x80, 0x02, 0x5d, 0x28, ...names.flatMap((_, k) => str(String(k))), 0x65, 0x2e);
  for (const name of names) {
    const d = tensors[name].data;
    out.push(...u32(d.length), 0, 0, 0, 0, ...new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return Uint8Array.from(out);
}
