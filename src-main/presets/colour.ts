// Output colour spaces. sRGB and Display P3 are libvips built-ins; Adobe RGB (1998) is the
// compatible matrix profile shipped in resources/presets/icc (see icc-matrix.ts).
import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { ColourTarget } from '../contract/presets';
import { presetResource } from './resources';

export type ConvertTarget = Exclude<ColourTarget, 'keep'>;

export const ADOBE_RGB_FILE = 'adobe-rgb-1998-compatible.icc';

/** What sharp's withIccProfile() takes: a built-in name or an absolute file path. */
export function sharpProfileName(target: ConvertTarget): string {
  switch (target) {
    case 'srgb':
      return 'srgb';
    case 'display-p3':
      return 'p3';
    case 'adobe-rgb':
      return presetResource('icc', ADOBE_RGB_FILE);
  }
}

export const COLOUR_LABEL: Record<ColourTarget, string> = {
  keep: 'source profile',
  srgb: 'sRGB',
  'display-p3': 'Display P3',
  'adobe-rgb': 'Adobe RGB (1998)',
};

const bytesCache = new Map<ConvertTarget, Promise<Buffer>>();

/** The profile bytes a converted image carries (read back from what libvips attaches). */
export function profileBytes(target: ConvertTarget): Promise<Buffer> {
  let p = bytesCache.get(target);
  if (!p) {
    p = (async () => {
      if (target === 'adobe-rgb') return fs.readFile(sharpProfileName(target));
      const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
        .withIccProfile(sharpProfileName(target))
        .png()
        .toBuffer();
      const { icc } = await sharp(png).metadata();
      if (!icc) throw new Error(`libvips did not attach the ${target} profile`);
      return icc;
    })();
    p.catch(() => bytesCache.delete(target));
    bytesCache.set(target, p);
  }
  return p;
}

/** ICC header colour space ('RGB ', 'GRAY', 'CMYK'...) or undefined for junk. */
export function iccColourSpace(icc: Buffer | undefined): string | undefined {
  if (!icc || icc.length < 132 || icc.toString('latin1', 36, 40) !== 'acsp') return undefined;
  return icc.toString('latin1', 16, 20);
}

/** The profile's description (v2 'desc' or v4 'mluc'), for sidecars and messages. */
export function iccDescription(icc: Buffer | undefined): string | undefined {
  if (!icc || iccColourSpace(icc) === undefined) return undefined;
  const n = icc.readUInt32BE(128);
  for (let i = 0; i < n && 132 + i * 12 + 12 <= icc.length; i++) {
    const at = 132 + i * 12;
    if (icc.toString('latin1', at, at + 4) !== 'desc') continue;
    const off = icc.readUInt32BE(at + 4);
    const type = icc.toString('latin1', off, off + 4);
    if (type === 'desc') {
      const len = icc.readUInt32BE(off + 8);
      return icc.toString('latin1', off + 12, off + 12 + len).replace(/\0+$/, '');
    }
    if (type === 'mluc') {
      const recLen = icc.readUInt32BE(off + 12);
      if (icc.readUInt32BE(off + 8) < 1 || recLen < 12) return undefined;
      const len = icc.readUInt32BE(off + 20);
      const start = off + icc.readUInt32BE(off + 24);
      const utf16be = icc.subarray(start, start + len);
      const le = Buffer.alloc(utf16be.length);
      for (let k = 0; k + 1 < utf16be.length; k += 2) {
        le[k] = utf16be[k + 1];
        le[k + 1] = utf16be[k];
      }
      return le.toString('utf16le').replace(/\0+$/, '');
    }
  }
  return undefined;
}
