// Output colour spaces. sRGB and Display P3 are libvips built-ins; Adobe RGB (1998) is the
// compatible matrix profile shipped in resources/presets/icc (see icc-matrix.ts).
import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { ColourTarget } from '../../contract/presets';
import { presetResource } from '../../base/resources';

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
