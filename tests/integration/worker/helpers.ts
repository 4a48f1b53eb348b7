import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export async function tempDir(prefix = 'studio-worker-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A noisy photo-sized PNG: big enough that a x4 lanczos takes a while (kill/cancel tests). */
export async function noisyPng(file: string, side: number): Promise<string> {
  await sharp({ create: { width: side, height: side, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .png({ compressionLevel: 1 })
    .toFile(file);
  return file;
}

export async function smallPng(file: string, w = 24, h = 16): Promise<string> {
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toFile(file);
  return file;
}
