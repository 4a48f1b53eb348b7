import sharp, { type Sharp } from 'sharp';

/**
 * The libvips colour space to name for interleaved samples: sharp's default (8-bit sRGB) would
 * drop the precision of 16-bit data, so depth and grey/colour are always said explicitly.
 */
export function sampleSpace(wide: boolean, grey: boolean): 'grey16' | 'rgb16' | 'b-w' | 'srgb' {
  return wide ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
}

/** sharp over interleaved raw samples: 1-2 channels grey (+alpha), 3-4 RGB (+alpha); 16-bit for a Uint16Array. */
export function rawSharp(data: Uint8Array | Uint16Array, width: number, height: number, channels: number): Sharp {
  return sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 }, limitInputPixels: false }).toColourspace(
    sampleSpace(data instanceof Uint16Array, channels <= 2),
  );
}
