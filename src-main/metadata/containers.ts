// sharp writes an EXIF block whenever it writes a DPI (withDensity implies keepExif). For a
// "strip all" JPEG or PNG the DPI lives in JFIF / pHYs anyway, so the EXIF block is removed.
import { splicePng } from './embed';

const EXIF_SIG = Buffer.from('Exif\0\0', 'latin1');

/** JPEG without APP1 "Exif" segments. */
export function jpegWithoutExif(jpg: Buffer): Buffer {
  if (jpg[0] !== 0xff || jpg[1] !== 0xd8) return jpg;
  const parts: Buffer[] = [jpg.subarray(0, 2)];
  let o = 2;
  // Only the marker segments before the image data; stop at SOS or anything unexpected.
  while (o + 4 <= jpg.length && jpg[o] === 0xff && jpg[o + 1] !== 0xda && jpg[o + 1] >= 0xc0) {
    const end = o + 2 + jpg.readUInt16BE(o + 2);
    const isExif = jpg[o + 1] === 0xe1 && jpg.subarray(o + 4, o + 10).equals(EXIF_SIG);
    if (!isExif) parts.push(jpg.subarray(o, end));
    o = end;
  }
  parts.push(jpg.subarray(o));
  return Buffer.concat(parts);
}

const EXIF_CHUNK = new Set(['eXIf']);

/** PNG without eXIf chunks. */
export function pngWithoutExif(png: Buffer): Buffer {
  return splicePng(png, EXIF_CHUNK, []);
}
