import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { halfPlane, makeLowRes } from '../../src-main/engine/classical';
import { getUpscaler } from '../../src-main/engine/registry';
import { decodeImage } from '../../src-main/imaging';
import { niqeImage, readNiqeModel } from '../../src-main/metrics';
import { root, studio } from './run-studio';

const shipped = path.join(root, 'resources', 'niqe', 'pristine-model.json');

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-eval-niqe-'));
  // The unseen test photo (400x304 grey: 4x3 whole patches after a 4 px shave) and a colour version.
  const photo = path.join(root, 'tests', 'fixtures', 'niqe', 'coffee-y.png');
  await fs.mkdir(path.join(dir, 'hr'));
  await fs.copyFile(photo, path.join(dir, 'hr', 'a.png'));
  await sharp(photo).toColourspace('srgb').tint({ r: 200, g: 150, b: 110 }).png().toFile(path.join(dir, 'hr', 'b.png'));
});

describe('studio eval --metric niqe', () => {
  it('scores the outputs of each method and the ground truth, equal to the library computation', async () => {
    const r = await studio(['eval', '--hr', path.join(dir, 'hr'), '--scale', '4', '--method', 'bicubic,nearest', '--metric', 'psnr,ssim,niqe', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      metrics: string[];
      results: { method: string; images: { name: string; psnr: number; niqe: number }[]; mean: { niqe: number } }[];
      groundTruth: { images: { name: string; niqe: number }[]; mean: { niqe: number } };
    };
    expect(out.metrics).toEqual(['psnr', 'ssim', 'niqe']);
    const [bicubic] = out.results;
    expect(out.groundTruth.images.map((i) => i.name)).toEqual(['a.png', 'b.png']);
    // A x4 bicubic blow-up is far less natural than the photo it came from.
    expect(bicubic.mean.niqe).toBeGreaterThan(out.groundTruth.mean.niqe + 1);
    const model = await readNiqeModel(shipped);
    const { hr, lr } = makeLowRes((await decodeImage(path.join(dir, 'hr', 'a.png'))).rgb, 4);
    const sr = await getUpscaler('bicubic').upscale(lr, { scale: 4 });
    expect(bicubic.images[0].niqe).toBeCloseTo(niqeImage(sr, model, halfPlane, 4), 10);
    expect(out.groundTruth.images[0].niqe).toBeCloseTo(niqeImage(hr, model, halfPlane, 4), 10);
  });

  it('shows only the chosen metrics in the table, with the ground truth column', async () => {
    const r = await studio(['eval', '--hr', path.join(dir, 'hr'), '--scale', '4', '--method', 'bicubic', '--metric', 'niqe']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('HR NIQE');
    expect(r.stdout).toMatch(/bicubic NIQE/);
    expect(r.stdout).not.toMatch(/dB/);
    expect(r.stdout).toMatch(/mean\s+\d+\.\d{3}\s+\d+\.\d{3}/);
  });

  it('scores images without ground truth, as they are (folder or files, --shave)', async () => {
    const folder = await studio(['eval', '--metric', 'niqe', path.join(dir, 'hr'), '--json']);
    expect(folder.code, folder.stderr).toBe(0);
    const out = JSON.parse(folder.stdout) as { shave: number; images: { name: string; niqe: number }[]; mean: { niqe: number } };
    expect(out.shave).toBe(0);
    const model = await readNiqeModel(shipped);
    expect(out.images[0].niqe).toBeCloseTo(niqeImage((await decodeImage(path.join(dir, 'hr', 'a.png'))).rgb, model, halfPlane), 10);
    // Images alone default to NIQE; --shave ignores a border.
    const table = await studio(['eval', path.join(dir, 'hr', 'b.png'), '--shave', '4']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NIQE \(Y channel, shave 4/);
    expect(table.stdout).toMatch(/b\.png\s+\d+\.\d{3}/);
  });

  it('uses a model file given with --niqe-model and refuses a bad one', async () => {
    const text = JSON.parse(await fs.readFile(shipped, 'utf8')) as { mean: number[] };
    text.mean = text.mean.map((v) => v * 1.1);
    const other = path.join(dir, 'other-model.json');
    await fs.writeFile(other, JSON.stringify(text));
    const a = await studio(['eval', '--metric', 'niqe', path.join(dir, 'hr', 'a.png'), '--json']);
    const b = await studio(['eval', '--metric', 'niqe', path.join(dir, 'hr', 'a.png'), '--niqe-model', other, '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect((JSON.parse(b.stdout) as { mean: { niqe: number } }).mean.niqe).not.toBeCloseTo((JSON.parse(a.stdout) as { mean: { niqe: number } }).mean.niqe, 3);
    await fs.writeFile(path.join(dir, 'bad.json'), '{"format":"something else"}');
    const bad = await studio(['eval', '--metric', 'niqe', path.join(dir, 'hr'), '--niqe-model', path.join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a NIQE model file');
  });

  it('reports metrics that need ground truth, unknown metrics and mixed inputs with codes', async () => {
    const noHr = await studio(['eval', '--metric', 'psnr,niqe', path.join(dir, 'hr')]);
    expect(noHr.code).toBe(2);
    expect(noHr.stderr).toContain('psnr needs ground truth (--hr)');
    const unknown = await studio(['eval', '--hr', path.join(dir, 'hr'), '--metric', 'brisque']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'brisque' is not one of psnr, ssim, niqe");
    const both = await studio(['eval', '--hr', path.join(dir, 'hr'), path.join(dir, 'hr', 'a.png')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const small = path.join(dir, 'small.png');
    await sharp({ create: { width: 60, height: 60, channels: 3, background: '#808080' } }).png().toFile(small);
    const tiny = await studio(['eval', '--metric', 'niqe', small]);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toContain('at least 96x96');
  });
});
