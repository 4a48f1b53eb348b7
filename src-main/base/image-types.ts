// The one table of image types: file extensions, MIME types, and whether a browser shows the
// file as it is. Which of them this machine's image library can decode is imaging/'s question
// (decodableHere), since only imaging/ loads sharp.

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'tiff' | 'gif' | 'heic';

export interface ImageType {
  format: ImageFormat;
  /** Lower-case, with the dot; the first one is what the studio writes. */
  extensions: readonly string[];
  mime: string;
  /** A browser (Chromium) shows it as it is, applying EXIF orientation itself. */
  browserNative: boolean;
}

export const IMAGE_TYPES: readonly ImageType[] = [
  { format: 'jpeg', extensions: ['.jpg', '.jpeg', '.jpe'], mime: 'image/jpeg', browserNative: true },
  { format: 'png', extensions: ['.png'], mime: 'image/png', browserNative: true },
  { format: 'webp', extensions: ['.webp'], mime: 'image/webp', browserNative: true },
  { format: 'avif', extensions: ['.avif'], mime: 'image/avif', browserNative: true },
  { format: 'gif', extensions: ['.gif'], mime: 'image/gif', browserNative: true },
  { format: 'tiff', extensions: ['.tif', '.tiff'], mime: 'image/tiff', browserNative: false },
  { format: 'heic', extensions: ['.heic', '.heif'], mime: 'image/heic', browserNative: false },
];

const BY_EXT = new Map(IMAGE_TYPES.flatMap((t) => t.extensions.map((e) => [e, t] as const)));
const BY_FORMAT = new Map(IMAGE_TYPES.map((t) => [t.format, t] as const));

/** Every image extension the studio takes (folders, dialogs, watched folders). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(BY_EXT.keys());

function extOf(fileOrExt: string): string {
  const i = fileOrExt.lastIndexOf('.');
  return i >= 0 ? fileOrExt.slice(i).toLowerCase() : '';
}

/** The type a file name (or an extension with its dot) says, if it is an image one. */
export function imageTypeOf(fileOrExt: string): ImageType | undefined {
  return BY_EXT.get(extOf(fileOrExt));
}

export function imageTypeByFormat(format: ImageFormat): ImageType {
  return BY_FORMAT.get(format) as ImageType;
}

/** Whether a file name has an image extension. */
export function hasImageExtension(file: string): boolean {
  return BY_EXT.has(extOf(file));
}

/** A glob of every image extension, e.g. for watched folders: `**\/*.{jpg,jpeg,...}`. */
export function imageGlob(prefix = '**/*'): string {
  return `${prefix}.{${[...IMAGE_EXTENSIONS].map((e) => e.slice(1)).join(',')}}`;
}

/** Content types of the files a front door serves from the built interface. */
export const WEB_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  ...Object.fromEntries(IMAGE_TYPES.flatMap((t) => t.extensions.map((e) => [e, t.mime]))),
};

/** Content type for a file of the built interface (octet-stream when unknown). */
export function webTypeOf(file: string): string {
  return WEB_TYPES[extOf(file)] ?? 'application/octet-stream';
}
