// The entries of a zip archive held in memory (PyTorch checkpoints are zips of stored entries,
// zip64 when large). Written here because the checkpoint needs zip64 and zero-copy views of
// stored entries, which the small zip libraries do not offer; deflated entries use node:zlib.
import zlib from 'node:zlib';
import { StudioError } from '../../contract/errors';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function bad(message: string): StudioError {
  return new StudioError('E_MODEL_INVALID', `damaged zip archive: ${message}`);
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

/** name -> entry bytes (views into `bytes` for stored entries). */
export function readZip(bytes: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (o: number) => Number(dv.getBigUint64(o, true));
  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 65535); o--) {
    if (dv.getUint32(o, true) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-archive record (truncated file?)');
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if ((count === 0xffff || cdOffset === 0xffffffff) && eocd >= 20 && dv.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
    const rec = u64(eocd - 20 + 8);
    if (rec + 56 > bytes.length || dv.getUint32(rec, true) !== EOCD64) throw bad('bad zip64 record');
    count = u64(rec + 32);
    cdOffset = u64(rec + 48);
  }
  const out = new Map<string, Uint8Array>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== CENTRAL) throw bad('bad central directory');
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 0xffffffff fields, in order usize, csize, offset.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) {
          usize = u64(q);
          q += 8;
        }
        if (csize === 0xffffffff) {
          csize = u64(q);
          q += 8;
        }
        if (local === 0xffffffff) local = u64(q);
      }
      e += 4 + len;
    }
    if (local + 30 > bytes.length || dv.getUint32(local, true) !== LOCAL) throw bad(`bad local header of ${name}`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + csize > bytes.length) throw bad(`${name} runs past the end of the file (truncated?)`);
    const raw = bytes.subarray(start, start + csize);
    if (method === 0) out.set(name, raw);
    else if (method === 8) out.set(name, new Uint8Array(zlib.inflateRawSync(raw)));
    else throw bad(`${name} uses compression method ${method}`);
    if (out.get(name)!.length !== usize) throw bad(`${name} has the wrong size`);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
