import { parseExif, TAG } from '../metadata/exif';

const LENS_MODEL = 0xa434;
const ISO_SPEED = 0x8827;

/**
 * Camera, lens and ISO from a photo's EXIF: the model cache warm-starts training from an earlier
 * photo of the same camera/lens/ISO band.
 */
export function cameraHints(exif: Buffer | undefined): Record<string, string> | undefined {
  const doc = exif ? parseExif(exif) : undefined;
  if (!doc) return undefined;
  const entries = [...doc.ifd0, ...doc.exif];
  const text = (tag: number) => {
    const e = entries.find((x) => x.tag === tag && x.type === 2);
    return e ? e.data.toString('utf8').replace(/\0+$/, '').trim() || undefined : undefined;
  };
  const hints: Record<string, string> = {};
  const make = text(TAG.Make);
  const model = text(TAG.Model);
  if (model) hints.camera = make && !model.startsWith(make) ? `${make} ${model}` : model;
  const lens = text(LENS_MODEL);
  if (lens) hints.lens = lens;
  const iso = entries.find((x) => x.tag === ISO_SPEED && (x.type === 3 || x.type === 4) && x.data.length >= 2);
  if (iso) {
    const v = iso.type === 3 ? (doc.littleEndian ? iso.data.readUInt16LE(0) : iso.data.readUInt16BE(0)) : doc.littleEndian ? iso.data.readUInt32LE(0) : iso.data.readUInt32BE(0);
    if (v > 0) hints.iso = String(v);
  }
  return Object.keys(hints).length ? hints : undefined;
}
