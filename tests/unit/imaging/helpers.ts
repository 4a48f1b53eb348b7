import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FloatImage } from '../../../src-main/contract/image';

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'studio-imaging-'));
}

/** Smooth colour gradient: compresses well and survives lossy formats nearly unchanged. */
export function gradient(w: number, h: number, channels: 1 | 3 = 3): FloatImage {
  const data = new Float32Array(w * h * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = c === 0 ? x / (w - 1) : c === 1 ? y / (h - 1) : 0.5;
  return { width: w, height: h, channels, data };
}

export function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** The error code of a rejected promise. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `uncoded: ${(e as Error).message}`;
  }
  return 'resolved';
}
