// Every image file the studio writes from an enhanced image (a job's main output, each preset
// deliverable, a plain export, encodeImage), in two passes around a raster:
//   A: source carrier (pixels + source profile) -> resize -> output sharpening -> convert to
//      the output profile -> 16-bit raster;   then the watermark is blended into the raster.
//      An output that changes no pixel skips it and takes the source's own samples as they are.
//   B: raster at the output depth -> encoder with format options; profile, EXIF, XMP and DPI
//      from metadata/ (spliced into PNG and JPEG, through a carrier for the others, ExifTool
//      afterwards for TIFF EXIF).
import sharp, { type Sharp } from 'sharp';
import type { FormatSpec, SharpenSpec, WatermarkSpec } from '../../contract/presets';
import { rawSharp, sampleSpace } from '../raw';
import { iccColourSpace, iccDescription } from '../../metadata/icc';
import { embedInJpeg, embedInPng } from '../../metadata/embed';
import { profileBytes, sharpProfileName, type ConvertTarget } from './colour';
import { exifForOutput } from '../../metadata/exif';
import { uprightXmp } from '../../metadata/xmp';
import { JPEG_OPTIMISE_MAX_PIXELS, type RenderSpec } from './plain';
import { atDepth, carrierPng, channelsOf, flattenOnWhite, type Raster, type Raster16 } from './raster';
import { targetSize } from './sizing';
import { applyWatermark } from './watermark';

export interface RenderSource {
  width: number;
  height: number;
  /** Colour channels of the original (1 grey, 3 colour). */
  colour: 1 | 3;
  bitDepth: 8 | 16;
  icc?: Buffer;
  exif?: Buffer;
  xmp?: Buffer;
  density?: number;
  /**
   * The enhanced pixels with the profile they are in, as sharp input: a PNG carrier, or the
   * path of a file that already is one. 'rgb' (grey replicated) or 'native' channels.
   */
  carrier(kind: 'rgb' | 'native'): Promise<Buffer | string>;
  /**
   * The pixels exactly as they are (native channels, alpha last, at `bitDepth`, no conversion):
   * what an output that changes no pixel is encoded from. Samples in memory are handed over
   * without a copy; a file is read at its own depth (libvips' 8 to 16-bit colour conversion
   * is not exact, so it is not used for outputs that keep every pixel).
   */
  pixels?(): Promise<Raster>;
}

export interface Rendered {
  buffer: Buffer;
  /** File extension with the dot. */
  ext: string;
  width: number;
  height: number;
  bitDepth: 8 | 16;
  ppi?: number;
  /** Profile embedded in the file (description), if any. */
  profile?: string;
  /** EXIF block still to be written by ExifTool (TIFF only). */
  tiffExif?: Buffer;
}

/** The conventional screen resolution, used when neither the preset nor the original says. */
export const DEFAULT_PPI = 72;

export const EXTENSION: Record<FormatSpec['format'], string> = { jpeg: '.jpg', png: '.png', webp: '.webp', avif: '.avif', tiff: '.tif' };

export function outputBitDepth(format: FormatSpec, sourceDepth: 8 | 16): 8 | 16 {
  if (format.format !== 'png' && format.format !== 'tiff') return 8;
  return format.bitDepth === 'source' ? sourceDepth : format.bitDepth;
}

/** Unsharp-mask settings for output sharpening; print radius follows the print resolution. */
export function sharpenParams(s: SharpenSpec, ppi: number | undefined): { sigma: number; m1: number; m2: number } | undefined {
  if (s.target === 'none') return undefined;
  const amount = { low: 0.5, standard: 1, high: 1.6 }[s.amount];
  const printScale = Math.max(1, (ppi ?? 300) / 300);
  switch (s.target) {
    case 'screen':
      return { sigma: 0.6, m1: 0.5, m2: 1.5 * amount };
    case 'matte':
      // Matte paper spreads ink: a wider, stronger mask.
      return { sigma: 1.0 * printScale, m1: 0.5, m2: 2.5 * amount };
    case 'glossy':
      return { sigma: 0.8 * printScale, m1: 0.5, m2: 1.8 * amount };
  }
}

function applyFormat(p: Sharp, f: FormatSpec, pixels: number): Sharp {
  switch (f.format) {
    case 'jpeg':
      return p.jpeg({ quality: f.quality, chromaSubsampling: f.chromaSubsampling, progressive: f.progressive, optimiseCoding: pixels <= JPEG_OPTIMISE_MAX_PIXELS });
    case 'png':
      return p.png({ compressionLevel: f.compressionLevel, adaptiveFiltering: true });
    case 'webp':
      return p.webp({ quality: f.quality, lossless: f.lossless, effort: f.effort, alphaQuality: 100 });
    case 'avif':
      return p.avif({ quality: f.quality, lossless: f.lossless, effort: f.effort });
    case 'tiff':
      return p.tiff({ compression: f.compression, predictor: f.compression === 'none' ? 'none' : 'horizontal' });
  }
}

function isSrgbProfile(icc: Buffer | undefined): boolean {
  return !icc || /srgb/i.test(iccDescription(icc) ?? '');
}

const watermarked = (w: WatermarkSpec) => w.enabled && w.opacity > 0;

/** Pass A: geometry, sharpening, colour conversion and watermark, ending in a 16-bit raster. */
async function passA(
  src: RenderSource,
  size: { width: number; height: number },
  o: { grey: boolean; sharpen?: ReturnType<typeof sharpenParams>; convert?: ConvertTarget; watermark: WatermarkSpec },
): Promise<Raster16> {
  let a = sharp(await src.carrier(o.grey ? 'native' : 'rgb'), { ignoreIcc: true, limitInputPixels: false });
  if (size.width !== src.width || size.height !== src.height) a = a.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  if (o.sharpen) a = a.sharpen(o.sharpen);
  if (o.convert) a = a.withIccProfile(sharpProfileName(o.convert));
  const { data, info } = await a.toColourspace(sampleSpace(true, o.grey)).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const raster: Raster16 = {
    width: info.width,
    height: info.height,
    colour: o.grey ? 1 : 3,
    alpha: info.channels === 2 || info.channels === 4,
    data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2),
  };
  await applyWatermark(raster, o.watermark, o.convert ? sharpProfileName(o.convert) : undefined);
  return raster;
}

/** The output's pixels at its depth (JPEG: flattened on white); the source's own array when nothing changes. */
async function outputRaster(src: RenderSource, out: RenderSpec, size: { width: number; height: number }, ppi: number, bitDepth: 8 | 16): Promise<Raster> {
  const convert = out.colour !== 'keep' ? out.colour : undefined;
  const sh = sharpenParams(out.sharpen, ppi);
  const asIs = src.pixels && size.width === src.width && size.height === src.height && !sh && !convert && !watermarked(out.watermark);
  let r: Raster = asIs && src.pixels ? await src.pixels() : await passA(src, size, { grey: !convert && src.colour === 1, sharpen: sh, convert, watermark: out.watermark });
  if (out.format.format === 'jpeg') r = flattenOnWhite(r);
  return { ...r, data: atDepth(r.data, bitDepth) };
}

interface Carried {
  icc?: Buffer;
  exif?: Buffer;
  xmp?: string;
  /** DPI to write (none for WebP/AVIF without EXIF: they keep it only there). */
  ppi?: number;
}

/**
 * Pass B. PNG and JPEG: the samples go straight to the encoder and the profile, EXIF and DPI are
 * spliced into the file (no second full-size copy). WebP, AVIF and TIFF: libvips takes them
 * from a carrier PNG (TIFF EXIF is left to ExifTool: libvips does not write it).
 */
async function encodeRaster(r: Raster, f: FormatSpec, m: Carried): Promise<Buffer> {
  const { width, height } = r;
  const channels = channelsOf(r);
  if (f.format === 'png' || f.format === 'jpeg') {
    let p = rawSharp(r.data, width, height, channels);
    if (m.xmp) p = p.withXmp(m.xmp);
    const bytes = await applyFormat(p, f, width * height).toBuffer();
    const carried = { icc: m.icc, exif: m.exif, density: m.ppi };
    return f.format === 'png' ? embedInPng(bytes, carried) : embedInJpeg(bytes, carried);
  }
  const exif = f.format === 'tiff' ? undefined : m.exif;
  let b = m.icc || exif ? sharp(await carrierPng(r.data, width, height, channels, { icc: m.icc, exif }), { ignoreIcc: true, limitInputPixels: false }) : rawSharp(r.data, width, height, channels);
  if (m.icc) b = b.keepIccProfile();
  if (exif) b = b.keepExif();
  if (m.xmp) b = b.withXmp(m.xmp);
  if (m.ppi) b = b.withDensity(m.ppi);
  b = b.toColourspace(sampleSpace(r.data instanceof Uint16Array, r.colour === 1));
  return applyFormat(b, f, width * height).toBuffer();
}

export async function renderOutput(src: RenderSource, out: RenderSpec): Promise<Rendered> {
  const size = targetSize(src.width, src.height, out.size);
  // Always a DPI tag: without one libvips writes 25.4 (1 px/mm), which layout software believes.
  const ppi = size.ppi ?? out.ppi ?? src.density ?? DEFAULT_PPI;
  const convert = out.colour !== 'keep' ? out.colour : undefined;
  const grey = !convert && src.colour === 1;
  const srcIcc = src.icc && iccColourSpace(src.icc) === (grey ? 'GRAY' : 'RGB ') ? src.icc : undefined;
  const bitDepth = outputBitDepth(out.format, src.bitDepth);
  const raster = await outputRaster(src, out, size, ppi, bitDepth);

  const icc = convert ? await profileBytes(convert) : srcIcc;
  const exif = exifForOutput(src.exif, {
    mode: out.metadata.mode,
    copyright: out.metadata.copyright,
    creator: out.metadata.creator,
    width: raster.width,
    height: raster.height,
    srgb: convert ? convert === 'srgb' : isSrgbProfile(srcIcc),
    ppi,
  });
  const fmt = out.format.format;
  const xmp = out.metadata.mode === 'all' && src.xmp?.length ? uprightXmp(src.xmp) : undefined;
  const densityHere = exif !== undefined || fmt === 'jpeg' || fmt === 'png' || fmt === 'tiff';
  const buffer = await encodeRaster(raster, out.format, { icc, exif, xmp, ppi: densityHere ? ppi : undefined });
  return {
    buffer,
    ext: EXTENSION[fmt],
    width: raster.width,
    height: raster.height,
    bitDepth,
    ppi: densityHere ? ppi : undefined,
    profile: icc ? iccDescription(icc) : undefined,
    tiffExif: fmt === 'tiff' ? exif : undefined,
  };
}
