import path from 'node:path';
import type { OutputFormat } from '../contract/enhance';
import type { InputFormat } from '../imaging';

/** Extensions a format may keep from its input (`.JPEG` stays `.jpeg`, `.tif` stays `.tif`). */
const EXTENSIONS: Record<OutputFormat, readonly string[]> = {
  jpeg: ['jpg', 'jpeg', 'jpe'],
  png: ['png'],
  webp: ['webp'],
  avif: ['avif'],
  tiff: ['tif', 'tiff'],
};

/** The output format when the request names none: the input's own family. */
export function sameFamilyFormat(input: InputFormat): OutputFormat {
  switch (input) {
    case 'gif':
      return 'png'; // no GIF encoder; PNG keeps the palette's exact colours and transparency
    case 'heic':
      return 'jpeg'; // HEIC encoding needs a patent-encumbered encoder libvips rarely has
    default:
      return input;
  }
}

/** `2`, `2.5`, `1.333`: short and file-name safe. */
export function scaleLabel(scale: number): string {
  return String(Math.round(scale * 1000) / 1000);
}

/**
 * `<name>_<method>_x<scale>.<ext>`: says what was done, sorts beside its original and can never
 * be the input's own name.
 */
export function outputFileName(inputPath: string, method: string, scale: number, format: OutputFormat): string {
  const inExt = path.extname(inputPath);
  const base = path.basename(inputPath, inExt) || 'image';
  const keep = EXTENSIONS[format].includes(inExt.slice(1).toLowerCase());
  const ext = keep ? inExt.slice(1).toLowerCase() : EXTENSIONS[format][0];
  const safeMethod = method.replace(/[^a-z0-9._-]+/gi, '-');
  return `${base}_${safeMethod}_x${scaleLabel(scale)}.${ext}`;
}
