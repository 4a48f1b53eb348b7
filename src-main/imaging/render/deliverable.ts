// One deliverable from the enhanced image, in two sharp passes around a 16-bit raster:
//   A: source carrier (pixels + source profile) -> resize -> output sharpening -> convert to
//      the output profile -> 16-bit raster;   then the watermark is blended into the raster;
//   B: raster -> carrier (output profile + EXIF) -> encoder with format options, XMP and DPI.
// Pixels stay 16-bit until the encoder; 8-bit formats get a rounded 8-bit raster.
import sharp, { type Sharp } from 'sharp';
import type { FormatSpec, ImageOutput, SharpenSpec } from '../../contract/presets';
import { sampleSpace } from '../raw';
import { JPEG_OPTIMISE_MAX_PIXELS } from '../encode';
import { iccColourSpace, iccDescription } from '../../metadata/icc';
import { profileBytes, sharpProfileName } from './colour';
import { jpegWithoutExif, pngWithoutExif } from '../../metadata/containers';
import { exifForOutput } from '../../metadata/exif';
import { uprightXmp } from '../../metadata/xmp';
import { carrierPng, channelsOf, flattenOnWhite, to8bit, type Raster16 } from './raster';
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

export async function renderOutput(src: RenderSource, out: ImageOutput): Promise<Rendered> {
  const size = targetSize(src.width, src.height, out.size);
  // Always a DPI tag: without one libvips writes 25.4 (1 px/mm), which layout software believes.
  const ppi = size.ppi ?? out.ppi ?? src.density ?? DEFAULT_PPI;
  const convert = out.colour !== 'keep' ? out.colour : undefined;
  const grey = !convert && src.colour === 1;
  const srcIcc = src.icc && iccColourSpace(src.icc) === (grey ? 'GRAY' : 'RGB ') ? src.icc : undefined;

  // Pass A: geometry, sharpening and colour, ending in a 16-bit raster.
  let a = sharp(await src.carrier(grey ? 'native' : 'rgb'), { ignoreIcc: true, limitInputPixels: false });
  if (size.width !== src.width || size.height !== src.height) a = a.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  const sh = sharpenParams(out.sharpen, ppi);
  if (sh) a = a.sharpen(sh);
  if (convert) a = a.withIccProfile(sharpProfileName(convert));
  const { data, info } = await a.toColourspace(sampleSpace(true, grey)).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const hasAlpha = info.channels === 2 || info.channels === 4;
  let raster: Raster16 = {
    width: info.width,
    height: info.height,
    colour: grey ? 1 : 3,
    alpha: hasAlpha,
    data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2),
  };

  await applyWatermark(raster, out.watermark, convert ? sharpProfileName(convert) : undefined);

  // Pass B: encode with the output profile, EXIF, XMP and DPI.
  if (out.format.format === 'jpeg') raster = flattenOnWhite(raster);
  const bitDepth = outputBitDepth(out.format, src.bitDepth);
  const pixels = bitDepth === 16 ? raster.data : to8bit(raster.data);
  const icc = convert ? await profileBytes(convert) : srcIcc;
  const exif = exifForOutput(src.exif, {
    mode: out.metadata.mode,
    copyright: out.metadata.copyright,
    creator: out.metadata.creator,
    width: raster.width,
    height: raster.height,
    srgb: convert ? convert === 'srgb' : isSrgbProfile(srcIcc),
  });
  const tiff = out.format.format === 'tiff';
  const carrier = await carrierPng(pixels, raster.width, raster.height, channelsOf(raster), { icc, exif: tiff ? undefined : exif });
  let b = sharp(carrier, { ignoreIcc: true, limitInputPixels: false });
  if (icc) b = b.keepIccProfile();
  if (exif && !tiff) b = b.keepExif();
  if (out.metadata.mode === 'all' && src.xmp?.length) b = b.withXmp(uprightXmp(src.xmp));
  // WebP and AVIF keep a DPI only inside EXIF: without EXIF they carry none.
  const fmt = out.format.format;
  const densityHere = exif !== undefined || fmt === 'jpeg' || fmt === 'png' || fmt === 'tiff';
  if (densityHere) b = b.withDensity(ppi);
  b = b.toColourspace(sampleSpace(bitDepth === 16, raster.colour === 1));
  let buffer: Buffer = await applyFormat(b, out.format, size.width * size.height).toBuffer();
  if (!exif && fmt === 'jpeg') buffer = jpegWithoutExif(buffer);
  if (!exif && fmt === 'png') buffer = pngWithoutExif(buffer);
  return {
    buffer,
    ext: EXTENSION[out.format.format],
    width: raster.width,
    height: raster.height,
    bitDepth,
    ppi: densityHere ? ppi : undefined,
    profile: icc ? iccDescription(icc) : undefined,
    tiffExif: tiff ? exif : undefined,
  };
}
