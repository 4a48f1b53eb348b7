// `studio models add / rm` and the imported method in `studio enhance`, as a user runs them.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED_MODELS, shared } from '../unit/engine/models/shared-models';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let dir: string;
const studio = (args: string[]) =>
  run(process.execPath, [path.join(root, 'bin/studio.js'), ...args, '--data-dir', path.join(dir, 'data')], { cwd: root }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-models-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe.skipIf(!HAVE_SHARED_MODELS)('studio models add / rm', () => {
  it('imports a model, runs it through studio enhance, refuses bad files, removes it', { timeout: 180_000 }, async () => {
    const add = await studio(['models', 'add', shared('realesr-compact-x4.safetensors'), '--name', 'compact', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ id: 'user:compact', family: 'imported' });
    const list = await studio(['models', '--json']);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((m) => m.id)).toEqual(expect.arrayContaining(['realesrgan', 'realesrgan-fast', 'user:compact']));

    const photo = path.join(dir, 'photo.png');
    await sharp(shared('reference', 'input-96.png')).extract({ left: 0, top: 0, width: 32, height: 24 }).toFile(photo);
    const enh = await studio(['enhance', photo, '--method', 'user:compact', '--scale', '2', '--out', path.join(dir, 'out')]);
    expect(enh.code, enh.stderr).toBe(0);
    const [out] = await fs.readdir(path.join(dir, 'out'));
    expect(await sharp(path.join(dir, 'out', out)).metadata()).toMatchObject({ width: 64, height: 48 });

    await fs.writeFile(path.join(dir, 'random.pth'), Buffer.from('not a checkpoint at all'));
    const bad = await studio(['models', 'add', path.join(dir, 'random.pth')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/E_MODEL_INVALID/);

    const rm = await studio(['models', 'rm', 'compact']);
    expect(rm.code, rm.stderr).toBe(0);
    const after = await studio(['models', '--json']);
    expect((JSON.parse(after.stdout) as { id: string }[]).some((m) => m.id === 'user:compact')).toBe(false);
    expect((await studio(['models', 'rm', 'compact'])).code).toBe(1);
  });
});
