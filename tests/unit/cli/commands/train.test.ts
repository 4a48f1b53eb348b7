import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenePng } from '../../engine/pretrained/synthetic';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '../../../../bin/studio.js');
let tmp: string;

async function studio(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { env: { ...process.env, STUDIO_DATA_DIR: path.join(tmp, 'data') } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-cli-train-'));
  await fs.mkdir(path.join(tmp, 'photos'));
  for (let i = 0; i < 4; i++) await fs.writeFile(path.join(tmp, 'photos', `p${i}.png`), await scenePng(64, 64, i + 1));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('studio train', () => {
  it('trains a GAN, stops at the epoch limit and reports the model as JSON', async () => {
    const r = await studio(['train', '--data', path.join(tmp, 'photos'), '--arch', 'gan', '--scale', '2', '--name', 'cli-gan', '--width', '8', '--depth', '2', '--patch', '12', '--batch', '2', '--steps', '3', '--epochs', '2', '--backend', 'wasm', '--json']);
    expect(r.stderr).toMatch(/epoch 2: train/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; dir: string; history: unknown[] };
    expect(out.id).toBe('user:cli-gan');
    expect(out.history.length).toBe(2);
    expect(out.dir).toBe(path.join(tmp, 'data', 'models', 'cli-gan'));
    await expect(fs.stat(path.join(out.dir, 'curve.png'))).resolves.toBeTruthy();

    // The model is a method everywhere: listed by `studio models`, run by `studio enhance` in the worker process.
    const models = await studio(['models', '--json']);
    expect(models.code).toBe(0);
    expect(models.stdout).toContain('"user:cli-gan"');
    const photo = path.join(tmp, 'photos', 'p0.png');
    const enh = await studio(['enhance', photo, '--method', 'user:cli-gan', '--scale', '2', '--out', path.join(tmp, 'out')]);
    expect(enh.stderr).toMatch(/1 done/);
    expect(enh.code).toBe(0);
    const meta = await sharp(path.join(tmp, 'out', 'p0_user-cli-gan_x2.png')).metadata();
    expect([meta.width, meta.height]).toEqual([128, 128]);
  });

  it('says what is wrong with a bad folder or bad options', async () => {
    await fs.mkdir(path.join(tmp, 'empty'));
    const empty = await studio(['train', '--data', path.join(tmp, 'empty')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/E_DATASET_INVALID: no images/);
    const noData = await studio(['train', '--arch', 'gan']);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/--data DIR is required/);
    const badArch = await studio(['train', '--data', tmp, '--arch', 'transformer']);
    expect(badArch.code).toBe(2);
    expect(badArch.stderr).toMatch(/--arch must be one of cnn, residual, gan/);
    const help = await studio(['train', '--help']);
    expect(help.stdout).toMatch(/--patience N/);
  });
});
