import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { imresize } from '../../../../src-main/engine/classical/imresize';
import { checkImages, dihedral, extractPatch, findDataset, ImageCache } from '../../../../src-main/engine/train/dataset';
import { decodeImage } from '../../../../src-main/imaging';
import { scene, scenePng } from '../pretrained/synthetic';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-dataset-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

async function folder(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const dir = path.join(tmp, name);
  for (const [f, data] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await fs.writeFile(path.join(dir, f), data);
  }
  return dir;
}

const decode = async (f: string): Promise<FloatImage> => (await decodeImage(f)).rgb;

describe('findDataset', () => {
  it('holds out every k-th image of a plain folder for validation', async () => {
    const png = await scenePng(40, 40);
    const files: Record<string, Buffer | string> = { 'notes.txt': 'not an image' };
    for (let i = 0; i < 10; i++) files[`sub/p${i}.png`] = png;
    const dir = await folder('plain', files);
    const s = await findDataset(dir, 0.2);
    expect(s.layout).toBe('folder');
    expect(s.val.length).toBe(2);
    expect(s.train.length).toBe(8);
    expect(new Set([...s.train, ...s.val]).size).toBe(10);
  });

  it('understands the DIV2K layout and ignores LR folders', async () => {
    const png = await scenePng(40, 40);
    const dir = await folder('div2k', {
      'DIV2K_train_HR/0001.png': png,
      'DIV2K_train_HR/0002.png': png,
      'DIV2K_valid_HR/0801.png': png,
      'DIV2K_train_LR_bicubic/X2/0001x2.png': png,
    });
    const s = await findDataset(dir);
    expect(s.layout).toBe('div2k');
    expect(s.train.map((f) => path.basename(f))).toEqual(['0001.png', '0002.png']);
    expect(s.val.map((f) => path.basename(f))).toEqual(['0801.png']);
  });

  it('refuses empty folders, single images and missing folders with E_DATASET_INVALID', async () => {
    const empty = await folder('empty', { 'readme.txt': 'x' });
    await expect(findDataset(empty)).rejects.toMatchObject({ code: 'E_DATASET_INVALID', message: expect.stringMatching(/no images/) });
    const one = await folder('one', { 'a.png': await scenePng(40, 40) });
    await expect(findDataset(one)).rejects.toMatchObject({ code: 'E_DATASET_INVALID', message: expect.stringMatching(/at least 2/) });
    await expect(findDataset(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'E_DATASET_INVALID' });
  });
});

describe('checkImages', () => {
  it('accepts mixed sizes and lists every corrupt or too small file', async () => {
    const good = await folder('mixed', { 'a.png': await scenePng(64, 48), 'b.png': await scenePng(50, 90, 2) });
    const s = await findDataset(good);
    await expect(checkImages([...s.train, ...s.val], new ImageCache(decode), 48)).resolves.toBeUndefined();

    const png = await scenePng(64, 64);
    const bad = await folder('bad', {
      'ok.png': png,
      'broken.png': png.subarray(0, 200),
      'tiny.png': await scenePng(20, 30),
      'text.jpg': 'hello',
    });
    const b = await findDataset(bad);
    const err = await checkImages([...b.train, ...b.val], new ImageCache(decode), 48).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DATASET_INVALID' });
    const msg = (err as Error).message;
    expect(msg).toMatch(/3 training image\(s\) cannot be used/);
    expect(msg).toMatch(/broken\.png/);
    expect(msg).toMatch(/tiny\.png: 20x30 px, smaller than the 48 px training crop/);
    expect(msg).toMatch(/text\.jpg/);
    expect(msg).not.toMatch(/ok\.png/);
  });
});

describe('extractPatch', () => {
  it('gives exactly the crop of the whole downscaled image (8-bit) and of its bicubic enlargement', async () => {
    const hr = await scene(91, 75, 4); // not multiples of 2: the protocol crops to 90 x 74
    const s = 2;
    const crop = { width: 90, height: 74, channels: 3 as const, data: new Float32Array(90 * 74 * 3) };
    for (let y = 0; y < 74; y++) crop.data.set(hr.data.subarray(y * 91 * 3, (y * 91 + 90) * 3), y * 90 * 3);
    const lrWhole = imresize(crop, { scale: 1 / s });
    lrWhole.data.forEach((v, i) => (lrWhole.data[i] = Math.round(Math.min(1, Math.max(0, v)) * 255) / 255));
    const ilrWhole = imresize(lrWhole, { scale: s });
    const P = 12;
    for (const [lx, ly] of [
      [0, 0],
      [20, 9],
      [45 - P, 37 - P],
    ]) {
      const p = extractPatch(hr, s, P, lx, ly, true);
      let lrDiff = 0;
      let hrDiff = 0;
      let ilrDiff = 0;
      for (let y = 0; y < P; y++)
        for (let x = 0; x < P * 3; x++) lrDiff = Math.max(lrDiff, Math.abs(p.lr[y * P * 3 + x] - lrWhole.data[((ly + y) * 45 + lx) * 3 + x]));
      for (let y = 0; y < P * s; y++)
        for (let x = 0; x < P * s * 3; x++) {
          const i = y * P * s * 3 + x;
          const j = ((ly * s + y) * 90 + lx * s) * 3 + x;
          hrDiff = Math.max(hrDiff, Math.abs(p.hr[i] - crop.data[j]));
          ilrDiff = Math.max(ilrDiff, Math.abs((p.ilr as Float32Array)[i] - ilrWhole.data[j]));
        }
      expect(lrDiff).toBe(0);
      expect(hrDiff).toBe(0);
      expect(ilrDiff).toBeLessThan(1e-5);
    }
  });
});

describe('dihedral', () => {
  it('makes the 8 distinct flips/rotations of a square patch', () => {
    const n = 3;
    const src = Float32Array.from({ length: n * n }, (_, i) => i);
    const all = Array.from({ length: 8 }, (_, t) => Array.from(dihedral(src, n, 1, t)).join(','));
    expect(new Set(all).size).toBe(8);
    expect(Array.from(dihedral(src, n, 1, 1))).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
    expect(Array.from(dihedral(src, n, 1, 4))).toEqual([0, 3, 6, 1, 4, 7, 2, 5, 8]);
    for (const t of all) expect(t.split(',').map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
