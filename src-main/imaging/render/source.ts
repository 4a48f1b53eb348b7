// What an output is rendered from: the enhanced pixels in memory (float, or the 8/16-bit
// samples a job's main output is encoded from), or an image file that exists (a job's output).
// Either way the renderer gets a PNG "carrier" holding the pixels and the profile they are in
// (a file that already says its profile is read as it is), and the pixels as they are for an
// output that changes none.
import sharp from 'sharp';
import type { FloatImage } from '../../contract/image';
import { iccColourSpace } from '../../metadata/icc';
import { probeImage } from '../probe';
import { rawSharp, sampleSpace } from '../raw';
import type { ImageMeta } from '../types';
import { profileBytes } from './colour';
import type { RenderSource } from './deliverable';
import { carrierPng, channelsOf, rasterOf, toRaster16, type Raster } from './raster';

type Carried = Pick<ImageMeta, 'bitDepth'> & Partial<Pick<ImageMeta, 'icc' | 'exif' | 'xmp' | 'density'>>;

/** The profile pixels of `colour` channels are in: the given one when it fits, else sRGB for colour (the convention for untagged images), none for grey. */
async function profileFor(icc: Buffer | undefined, colour: 1 | 3): Promise<Buffer | undefined> {
  const want = colour === 3 ? 'RGB ' : 'GRAY';
  return icc && iccColourSpace(icc) === want ? icc : colour === 3 ? await profileBytes('srgb') : undefined;
}

function once<K, V>(make: (k: K) => Promise<V>): (k: K) => Promise<V> {
  const cache = new Map<K, Promise<V>>();
  return (k) => {
    let p = cache.get(k);
    if (!p) cache.set(k, (p = make(k)));
    return p;
  };
}

function renderSource(size: { width: number; height: number; colour: 1 | 3 }, meta: Carried, carrier: RenderSource['carrier']): RenderSource {
  const { bitDepth, icc, exif, xmp, density } = meta;
  return { ...size, bitDepth, icc, exif, xmp, density, carrier: once(carrier) };
}

/**
 * 8/16-bit samples in memory (upright, native channels, alpha last, in the colour space
 * `meta.icc` describes) as a render source: a job's main output. An output that keeps every
 * pixel encodes them as they are; anything else gets a 16-bit carrier made from them.
 */
export function samplesRenderSource(pixels: Raster, meta: Omit<Carried, 'bitDepth'>): RenderSource {
  const bitDepth = pixels.data instanceof Uint16Array ? 16 : 8;
  const source = renderSource({ width: pixels.width, height: pixels.height, colour: pixels.colour }, { ...meta, bitDepth }, async (kind) => {
    const out: 1 | 3 = kind === 'rgb' ? 3 : pixels.colour;
    const { data, info } = await rawSharp(pixels.data, pixels.width, pixels.height, channelsOf(pixels))
      .toColourspace(sampleSpace(true, out === 1))
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    return carrierPng(new Uint16Array(data.buffer, data.byteOffset, data.length / 2), info.width, info.height, info.channels, { icc: await profileFor(meta.icc, out) });
  });
  return { ...source, pixels: () => Promise.resolve(pixels) };
}

/** Float pixels (upright, in the colour space `meta.icc` describes) as a render source. */
export function floatRenderSource(rgb: FloatImage, alpha: FloatImage | undefined, meta: Carried): RenderSource {
  return renderSource({ width: rgb.width, height: rgb.height, colour: rgb.channels }, meta, async (kind) => {
    const r = toRaster16(rgb, alpha, kind === 'rgb');
    return carrierPng(r.data, r.width, r.height, channelsOf(r), { icc: await profileFor(meta.icc, r.colour) });
  });
}

/**
 * An image file that exists (a job's result: upright, orientation 1) as a render source, at its
 * own bit depth. The renderer streams the file itself (no full-size copy in memory); only grey
 * asked as RGB gets a 16-bit carrier, made once. An output that keeps every pixel reads the
 * samples as stored.
 */
export async function fileRenderSource(file: string): Promise<{ source: RenderSource; meta: ImageMeta }> {
  const meta = await probeImage(file);
  const colour = meta.channels;
  const source = renderSource({ width: meta.width, height: meta.height, colour }, meta, async (kind) => {
    const out: 1 | 3 = kind === 'rgb' ? 3 : colour;
    // Pass A reads its input with the embedded profile ignored, so the file is as good as a carrier.
    if (out === colour) return file;
    const icc = await profileFor(meta.icc, out);
    const { data, info } = await sharp(file, { ignoreIcc: true, limitInputPixels: false })
      .toColourspace(sampleSpace(true, out === 1))
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    return carrierPng(new Uint16Array(data.buffer, data.byteOffset, data.length / 2), info.width, info.height, info.channels, { icc });
  });
  const pixels = async (): Promise<Raster> => {
    const wide = meta.bitDepth === 16;
    const { data, info } = await sharp(file, { ignoreIcc: true, limitInputPixels: false })
      .toColourspace(sampleSpace(wide, colour === 1))
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return rasterOf({ data: wide ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length), ...info });
  };
  return { source: { ...source, pixels }, meta };
}
