import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernelFile, parseKernelText } from '../../../src-main/imaging/kernel-file';

// Fixtures made with scipy.io.savemat / numpy.save from kernel9.txt (a 9x9 anisotropic Gaussian
// with small negative corners, as KernelGAN estimates them).
const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), 'kernel-fixtures');
let truth: number[][];
let dir: string;

beforeAll(async () => {
  truth = parseKernelText(await fs.readFile(path.join(FIX, 'kernel9.txt'), 'utf8'));
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kernel-file-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function expectSame(k: number[][], tol: number): void {
  expect([k.length, k[0].length]).toEqual([9, 9]);
  let worst = 0;
  for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) worst = Math.max(worst, Math.abs(k[i][j] - truth[i][j]));
  expect(worst).toBeLessThan(tol);
  expect(k.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
}

describe('blur kernel files', () => {
  it('reads MATLAB level 5 .mat files, plain and compressed, in column order', async () => {
    expectSame(await loadKernelFile(path.join(FIX, 'kernel9.mat')), 1e-12);
    // float32 inside a zlib-compressed element, next to a text variable
    expectSame(await loadKernelFile(path.join(FIX, 'kernel9-compressed.mat')), 1e-7);
    // not symmetric, so a row/column mix-up would show
    expect(truth[0][1]).not.toBeCloseTo(truth[1][0], 6);
  });

  it('reads .npy in C and Fortran order, little and big endian, float32/64', async () => {
    expectSame(await loadKernelFile(path.join(FIX, 'kernel9.npy')), 1e-12);
    expectSame(await loadKernelFile(path.join(FIX, 'kernel9-fortran-f4.npy')), 1e-7);
    expectSame(await loadKernelFile(path.join(FIX, 'kernel9-big.npy')), 1e-12);
  });

  it('reads JSON (a matrix or {"Kernel": matrix}) and a grey PNG (normalised to sum 1)', async () => {
    const j = path.join(dir, 'k.json');
    await fs.writeFile(j, JSON.stringify({ Kernel: truth.map((r) => r.map((v) => v * 3)) }));
    expectSame(await loadKernelFile(j), 1e-12);
    const png = path.join(dir, 'k.png');
    await sharp(Buffer.from([0, 50, 0, 50, 100, 50, 0, 50, 0]), { raw: { width: 3, height: 3, channels: 1 } }).png().toFile(png);
    const k = await loadKernelFile(png);
    expect(k[1][1]).toBeCloseTo(100 / 300, 9);
    expect(k[0][1]).toBeCloseTo(50 / 300, 9);
  });

  it('a malformed kernel file gets E_KERNEL_INVALID with what is wrong', async () => {
    const write = async (name: string, data: string | Buffer): Promise<string> => {
      const p = path.join(dir, name);
      await fs.writeFile(p, data);
      return p;
    };
    const cases: [string, string | Buffer, RegExp][] = [
      ['ragged.txt', '1 2 3\n4 5\n', /rectangular/],
      ['zero-sum.json', '[[1, -1]]', /positive/],
      ['nan.json', '[[1, "x"]]', /array of rows of numbers/],
      ['broken.json', '[[1, 2]', /not valid JSON/],
      ['cut.mat', (await fs.readFile(path.join(FIX, 'kernel9.mat'))).subarray(0, 300), /past the end/],
      ['hdf5.mat', Buffer.concat([Buffer.from('MATLAB 7.3 MAT-file, Platform: GLNXA64'.padEnd(124, ' ')), Buffer.from([0, 2, 0x49, 0x4d]), Buffer.alloc(64)]), /7\.3/],
      ['notmat.mat', Buffer.alloc(200, 7), /not a MATLAB level 5/],
      ['cube.npy', await fs.readFile(path.join(FIX, 'cube.npy')), /2-D matrix/],
      ['bad.npy', Buffer.from('not numpy at all'), /magic/],
      ['huge.json', JSON.stringify(Array.from({ length: 65 }, () => Array(65).fill(1))), /at most 64x64/],
      ['empty.txt', '', /empty/],
      ['bin.txt', Buffer.from([1, 0, 2]), /binary/],
      ['bad.png', Buffer.from('PNG?'), /not a readable image/],
    ];
    for (const [name, data, msg] of cases) {
      await expect(loadKernelFile(await write(name, data)), name).rejects.toMatchObject({ code: 'E_KERNEL_INVALID', message: expect.stringMatching(msg) });
    }
    await expect(loadKernelFile(path.join(FIX, 'two-matrices.mat'))).rejects.toMatchObject({ code: 'E_KERNEL_INVALID', message: expect.stringMatching(/several matrices \(a, b\)/) });
    await expect(loadKernelFile(path.join(FIX, 'v4.mat'))).rejects.toMatchObject({ code: 'E_KERNEL_INVALID' });
    await expect(loadKernelFile(path.join(dir, 'missing.mat'))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
  });
});
