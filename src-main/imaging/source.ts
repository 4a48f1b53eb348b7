import fs from 'node:fs/promises';
import sharp from 'sharp';
import { StudioError } from '../contract/errors';
import { checkFileSize } from './limits';
import { sniffFormat } from './sniff';
import type { ImageLimits, ImageSource, InputFormat } from './types';

export interface LoadedSource {
  /** The bytes, or (head mode) the path for sharp to read itself. */
  input: Buffer | string;
  bytes: number;
  format: InputFormat;
  /** For messages. */
  name: string;
}

const HEIF_HEVC = (() => {
  // The prebuilt libvips reads AVIF only; HEIC needs an HEVC decoder it does not ship.
  const suffixes = sharp.format.heif?.input?.fileSuffix ?? [];
  return suffixes.some((s: string) => s === '.heic' || s === '.heif');
})();

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a file (or takes a buffer), checking existence, emptiness, size and format by content.
 * mode 'head' reads only the first bytes of a file (for probing without loading it).
 */
export async function loadSource(src: ImageSource, limits?: Partial<ImageLimits>, mode: 'full' | 'head' = 'full'): Promise<LoadedSource> {
  let buf: Buffer;
  let bytes: number;
  let input: Buffer | string;
  let name: string;
  if (typeof src === 'string') {
    name = src;
    let st;
    try {
      st = await fs.stat(src);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new StudioError('E_FILE_NOT_FOUND', `no such file: ${src}`, { path: src });
      throw new StudioError('E_FILE_NOT_FOUND', `cannot read ${src}: ${(err as Error).message}`, { path: src, errno: code });
    }
    if (!st.isFile()) throw new StudioError('E_UNSUPPORTED_FORMAT', `${src} is not a file`, { path: src });
    if (st.size === 0) throw new StudioError('E_EMPTY_FILE', `${src} is empty (0 bytes)`, { path: src });
    checkFileSize(st.size, limits);
    bytes = st.size;
    try {
      buf = mode === 'full' ? await fs.readFile(src) : await readHead(src, 4096);
    } catch (err) {
      throw new StudioError('E_FILE_NOT_FOUND', `cannot read ${src}: ${(err as Error).message}`, { path: src });
    }
    input = mode === 'full' ? buf : src;
  } else {
    name = 'image data';
    buf = Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    if (buf.length === 0) throw new StudioError('E_EMPTY_FILE', 'image data is empty (0 bytes)');
    checkFileSize(buf.length, limits);
    bytes = buf.length;
    input = buf;
  }
  const sniffed = sniffFormat(buf);
  if (!sniffed) {
    throw new StudioError('E_UNSUPPORTED_FORMAT', `${name} is not an image the studio can read (JPEG, PNG, WebP, AVIF, TIFF, GIF)`, { path: typeof src === 'string' ? src : undefined });
  }
  if (sniffed === 'heic' && !HEIF_HEVC) {
    throw new StudioError('E_UNSUPPORTED_FORMAT', `${name} is HEIC, which this build cannot decode (its image library reads AVIF only); export it as JPEG or TIFF first`, {
      format: 'heic',
    });
  }
  return { input, bytes, format: sniffed, name };
}

/** libvips errors -> coded errors. */
export function sharpError(err: unknown, name: string): StudioError {
  if (err instanceof StudioError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return new StudioError('E_INPUT_TOO_LARGE', `${name}: ${msg}`);
  // The format was recognised from its signature before libvips saw it, so a refusal here
  // ("unsupported image format" included: libtiff says so for a cut-off TIFF) means damage.
  // libvips' later lines name the files it was writing (internal paths): only the cause is kept.
  const cause = msg.split('\n')[0];
  return new StudioError('E_CORRUPT_IMAGE', `${name} is damaged or truncated: ${cause}`, { reason: cause });
}
