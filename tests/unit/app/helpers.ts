import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { JobInfo } from '../../../src-main/contract/jobs';
import { createStudioService, type StudioService } from '../../../src-main/service';

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A real service on `<dir>/data`, jobs in memory, engine in a child process (as the CLI runs it). */
export async function openService(dir: string): Promise<StudioService> {
  const dataDir = path.join(dir, 'data');
  await fs.mkdir(dataDir, { recursive: true });
  return createStudioService({ dataDir, jobStore: 'memory', desktop: true, onWarning: () => undefined });
}

/** A small photo-like PNG/JPEG (a gradient with a bright square) written with sharp. */
export async function writePhoto(file: string, width: number, height: number, format: 'png' | 'jpeg' | 'tiff' = 'png'): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inSquare = x > width / 3 && x < (2 * width) / 3 && y > height / 3 && y < (2 * height) / 3;
      raw[i] = inSquare ? 250 : Math.round((255 * x) / width);
      raw[i + 1] = inSquare ? 240 : Math.round((255 * y) / height);
      raw[i + 2] = 90;
    }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  await (format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg({ quality: 90 }) : img.toColourspace('rgb16').tiff()).toFile(file);
  return file;
}

/** Resolves when the job reaches a final state (polling: no timing assumptions). */
export async function waitForJob(svc: StudioService, id: string, timeoutMs = 90_000): Promise<JobInfo> {
  const t0 = Date.now();
  for (;;) {
    const job = await svc['jobs.get'](id);
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') return job;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
