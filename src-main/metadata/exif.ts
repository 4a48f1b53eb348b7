// EXIF blocks (the TIFF structure inside a JPEG's APP1): reading, filtering for a deliverable
// (which of the original's fields travel with it), rebuilding. Entries are copied byte for byte
// (byte order and types kept); only the IFD layout is rebuilt. Writing the block into files:
// embed.ts (PNG, JPEG), libvips via imaging (WebP, AVIF) and tiff-exif.ts (TIFF).

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

export const TAG = {
  ImageDescription: 0x010e,
  Make: 0x010f,
  Model: 0x0110,
  Orientation: 0x0112,
  XResolution: 0x011a,
  YResolution: 0x011b,
  ResolutionUnit: 0x0128,
  Software: 0x0131,
  DateTime: 0x0132,
  Artist: 0x013b,
  Copyright: 0x8298,
  ExifIfd: 0x8769,
  GpsIfd: 0x8825,
  InteropIfd: 0xa005,
  MakerNote: 0x927c,
  ColorSpace: 0xa001,
  PixelXDimension: 0xa002,
  PixelYDimension: 0xa003,
} as const;

export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Value bytes in the block's byte order (count * size of type). */
  data: Buffer;
}

export interface ExifDoc {
  littleEndian: boolean;
  ifd0: IfdEntry[];
  exif: IfdEntry[];
  gps: IfdEntry[];
  interop: IfdEntry[];
}

const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');

/** The TIFF structure alone, whether or not the JPEG "Exif\0\0" prefix is there. */
export function bareExif(b: Buffer): Buffer {
  return b.length >= 6 && b.subarray(0, 6).equals(EXIF_PREFIX) ? b.subarray(6) : b;
}

// Tags that describe a TIFF file's own pixel layout or carry blocks handled elsewhere (ICC,
// XMP, IPTC): never copied from one file to another.
const STRUCTURE_TAGS = new Set([
  0x00fe, 0x00ff, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0111, 0x0115, 0x0116, 0x0117, 0x011c, 0x013d, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145, 0x014a,
  0x0152, 0x0153, 0x0201, 0x0202, 0x02bc, 0x83bb, 0x8649, 0x8773, TAG.XResolution, TAG.YResolution, TAG.ResolutionUnit,
]);

/** Parses a bare or prefixed EXIF block; undefined when it is not one. Tolerates damage by skipping. */
export function parseExif(input: Buffer): ExifDoc | undefined {
  const b = bareExif(input);
  if (b.length < 8) return undefined;
  const order = b.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u16(2) !== 42) return undefined;
  const visited = new Set<number>();

  function readIfd(at: number): { entries: IfdEntry[]; pointers: Map<number, number> } {
    const entries: IfdEntry[] = [];
    const pointers = new Map<number, number>();
    if (at < 8 || at + 2 > b.length || visited.has(at)) return { entries, pointers };
    visited.add(at);
    const n = u16(at);
    for (let i = 0; i < n && i < 1000; i++) {
      const e = at + 2 + i * 12;
      if (e + 12 > b.length) break;
      const tag = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      const size = TYPE_SIZE[type];
      if (!size || count > 10_000_000) continue;
      const len = size * count;
      if (tag === TAG.ExifIfd || tag === TAG.GpsIfd || tag === TAG.InteropIfd) {
        if ((type === 4 || type === 13) && count === 1) pointers.set(tag, u32(e + 8));
        continue;
      }
      const off = len <= 4 ? e + 8 : u32(e + 8);
      if (off + len > b.length) continue;
      entries.push({ tag, type, count, data: Buffer.from(b.subarray(off, off + len)) });
    }
    return { entries, pointers };
  }

  const first = readIfd(u32(4));
  const exif = first.pointers.has(TAG.ExifIfd) ? readIfd(first.pointers.get(TAG.ExifIfd)!) : { entries: [], pointers: new Map<number, number>() };
  const gps = first.pointers.has(TAG.GpsIfd) ? readIfd(first.pointers.get(TAG.GpsIfd)!).entries : [];
  const interopAt = exif.pointers.get(TAG.InteropIfd) ?? first.pointers.get(TAG.InteropIfd);
  const interop = interopAt !== undefined ? readIfd(interopAt).entries : [];
  return { littleEndian: le, ifd0: first.entries.filter((e) => !STRUCTURE_TAGS.has(e.tag)), exif: exif.entries, gps, interop };
}

/** Serialises a document as a bare EXIF block (no thumbnail IFD). */
export function buildExif(doc: ExifDoc): Buffer {
  const le = doc.littleEndian;
  const sorted = (list: IfdEntry[]) => [...list].sort((a, b) => a.tag - b.tag);
  const ifd0 = sorted(doc.ifd0);
  const exif = sorted(doc.exif);
  const gps = sorted(doc.gps);
  const interop = sorted(doc.interop);
  const hasExif = exif.length > 0 || interop.length > 0;
  const ifdSize = (n: number) => 2 + n * 12 + 4;
  const dataSize = (list: IfdEntry[]) => list.reduce((s, e) => s + (e.data.length > 4 ? e.data.length + (e.data.length % 2) : 0), 0);

  const n0 = ifd0.length + (hasExif ? 1 : 0) + (gps.length ? 1 : 0);
  const nx = exif.length + (interop.length ? 1 : 0);
  let at = 8;
  const pos0 = at;
  at += ifdSize(n0) + dataSize(ifd0);
  const posExif = at;
  if (hasExif) at += ifdSize(nx) + dataSize(exif);
  const posInterop = at;
  if (interop.length) at += ifdSize(interop.length) + dataSize(interop);
  const posGps = at;
  if (gps.length) at += ifdSize(gps.length) + dataSize(gps);

  const out = Buffer.alloc(at);
  const w16 = (v: number, o: number) => (le ? out.writeUInt16LE(v, o) : out.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? out.writeUInt32LE(v >>> 0, o) : out.writeUInt32BE(v >>> 0, o));
  out.write(le ? 'II' : 'MM', 0, 'latin1');
  w16(42, 2);
  w32(pos0, 4);

  function writeIfd(pos: number, entries: IfdEntry[], pointers: [number, number][]): void {
    const all: (IfdEntry | { tag: number; pointer: number })[] = [...entries, ...pointers.map(([tag, pointer]) => ({ tag, pointer }))].sort((a, b) => a.tag - b.tag);
    w16(all.length, pos);
    let data = pos + ifdSize(all.length);
    all.forEach((e, i) => {
      const o = pos + 2 + i * 12;
      w16(e.tag, o);
      if ('pointer' in e) {
        w16(4, o + 2);
        w32(1, o + 4);
        w32(e.pointer, o + 8);
        return;
      }
      w16(e.type, o + 2);
      w32(e.count, o + 4);
      if (e.data.length <= 4) {
        e.data.copy(out, o + 8);
      } else {
        w32(data, o + 8);
        e.data.copy(out, data);
        data += e.data.length + (e.data.length % 2);
      }
    });
    w32(0, pos + 2 + all.length * 12);
  }

  const p0: [number, number][] = [];
  if (hasExif) p0.push([TAG.ExifIfd, posExif]);
  if (gps.length) p0.push([TAG.GpsIfd, posGps]);
  writeIfd(pos0, ifd0, p0);
  if (hasExif) writeIfd(posExif, exif, interop.length ? [[TAG.InteropIfd, posInterop]] : []);
  if (interop.length) writeIfd(posInterop, interop, []);
  if (gps.length) writeIfd(posGps, gps, []);
  return out;
}

// "camera-copyright": who made the picture, with what, when and how exposed. No location, no
// free text, no maker notes (which can hide location), no serial numbers.
const CAMERA_IFD0 = new Set<number>([TAG.Make, TAG.Model, TAG.Software, TAG.DateTime, TAG.Artist, TAG.Copyright]);
const CAMERA_EXIF = new Set<number>([
  0x829a, // ExposureTime
  0x829d, // FNumber
  0x8822, // ExposureProgram
  0x8827, // ISO
  0x8830, // SensitivityType
  0x8832, // RecommendedExposureIndex
  0x9000, // ExifVersion
  0x9003, // DateTimeOriginal
  0x9004, // DateTimeDigitized
  0x9010, // OffsetTime
  0x9011, // OffsetTimeOriginal
  0x9012, // OffsetTimeDigitized
  0x9201, // ShutterSpeedValue
  0x9202, // ApertureValue
  0x9203, // BrightnessValue
  0x9204, // ExposureBiasValue
  0x9205, // MaxApertureValue
  0x9207, // MeteringMode
  0x9208, // LightSource
  0x9209, // Flash
  0x920a, // FocalLength
  0x9290, // SubSecTime
  0x9291, // SubSecTimeOriginal
  0x9292, // SubSecTimeDigitized
  0xa402, // ExposureMode
  0xa403, // WhiteBalance
  0xa404, // DigitalZoomRatio
  0xa405, // FocalLengthIn35mmFilm
  0xa406, // SceneCaptureType
  0xa408, // Contrast
  0xa409, // Saturation
  0xa40a, // Sharpness
  0xa432, // LensSpecification
  0xa433, // LensMake
  0xa434, // LensModel
]);

export interface ExifPolicy {
  mode: 'all' | 'camera-copyright' | 'none';
  copyright?: string;
  creator?: string;
  /** Output pixel size (PixelX/YDimension). */
  width: number;
  height: number;
  /** EXIF ColorSpace: 1 = sRGB, 0xFFFF = uncalibrated (any other profile). */
  srgb: boolean;
  /** The output's DPI (X/YResolution in inches), when the block carries one. */
  ppi?: number;
}

function ascii(tag: number, text: string): IfdEntry {
  const data = Buffer.from(`${text}\0`, 'utf8');
  return { tag, type: 2, count: data.length, data };
}

function short(tag: number, v: number, le: boolean): IfdEntry {
  const data = Buffer.alloc(2);
  if (le) data.writeUInt16LE(v, 0);
  else data.writeUInt16BE(v, 0);
  return { tag, type: 3, count: 1, data };
}

function long(tag: number, v: number, le: boolean): IfdEntry {
  const data = Buffer.alloc(4);
  if (le) data.writeUInt32LE(v, 0);
  else data.writeUInt32BE(v, 0);
  return { tag, type: 4, count: 1, data };
}

function rational(tag: number, v: number, le: boolean): IfdEntry {
  const den = Number.isInteger(v) ? 1 : 1000;
  const data = Buffer.alloc(8);
  const w = (x: number, o: number) => (le ? data.writeUInt32LE(x, o) : data.writeUInt32BE(x, o));
  w(Math.round(v * den), 0);
  w(den, 4);
  return { tag, type: 5, count: 1, data };
}

function put(list: IfdEntry[], e: IfdEntry): IfdEntry[] {
  return [...list.filter((x) => x.tag !== e.tag), e];
}

/**
 * The EXIF block an output carries, or undefined when it carries none. Always: Orientation 1
 * (pixels are upright), no thumbnail, the output's DPI (not the original's), PixelX/YDimension
 * and ColorSpace describing the output.
 */
export function exifForOutput(source: Buffer | undefined, policy: ExifPolicy): Buffer | undefined {
  const parsed = source && policy.mode !== 'none' ? parseExif(source) : undefined;
  const le = parsed?.littleEndian ?? true;
  let doc: ExifDoc = { littleEndian: le, ifd0: [], exif: [], gps: [], interop: [] };
  if (parsed && policy.mode === 'all') doc = parsed;
  if (parsed && policy.mode === 'camera-copyright') {
    doc.ifd0 = parsed.ifd0.filter((e) => CAMERA_IFD0.has(e.tag));
    doc.exif = parsed.exif.filter((e) => CAMERA_EXIF.has(e.tag));
  }
  if (policy.copyright?.trim()) doc.ifd0 = put(doc.ifd0, ascii(TAG.Copyright, policy.copyright.trim()));
  if (policy.creator?.trim()) doc.ifd0 = put(doc.ifd0, ascii(TAG.Artist, policy.creator.trim()));
  if (doc.ifd0.length === 0 && doc.exif.length === 0 && doc.gps.length === 0) return undefined;
  doc.ifd0 = put(doc.ifd0, short(TAG.Orientation, 1, le));
  doc.exif = put(doc.exif, short(TAG.ColorSpace, policy.srgb ? 1 : 0xffff, le));
  doc.exif = put(doc.exif, long(TAG.PixelXDimension, policy.width, le));
  doc.exif = put(doc.exif, long(TAG.PixelYDimension, policy.height, le));
  if (policy.ppi && policy.ppi > 0) {
    doc.ifd0 = put(doc.ifd0, rational(TAG.XResolution, policy.ppi, le));
    doc.ifd0 = put(doc.ifd0, rational(TAG.YResolution, policy.ppi, le));
    doc.ifd0 = put(doc.ifd0, short(TAG.ResolutionUnit, 2, le));
  }
  // DCF interoperability ("R98") asserts sRGB; only true for sRGB deliverables.
  if (!policy.srgb) doc.interop = [];
  return buildExif(doc);
}

/** A few fields for sidecars and labels (ASCII tags of IFD0/Exif IFD). */
export function exifText(source: Buffer | undefined, tag: number): string | undefined {
  const doc = source ? parseExif(source) : undefined;
  const e = doc && [...doc.ifd0, ...doc.exif].find((x) => x.tag === tag && x.type === 2);
  return e ? e.data.toString('utf8').replace(/\0+$/, '').trim() || undefined : undefined;
}

/**
 * The EXIF fields of a TIFF file as a block: a TIFF's first IFD is itself EXIF-structured
 * (libvips does not hand TIFF EXIF over, so TIFF originals are read here). Pixel-layout tags
 * are left out.
 */
export function exifFromTiff(file: Buffer): Buffer | undefined {
  const doc = parseExif(file);
  if (!doc || doc.ifd0.length + doc.exif.length + doc.gps.length === 0) return undefined;
  return buildExif(doc);
}
