import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImage } from '../../../src-main/imaging';
import { createStudioService } from '../../../src-main/service';

// `studio enhance` end to end: the real bin/studio.js in a child process, real files, the real
// worker process behind the service.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = path.join(root, 'bin', 'studio.js');
let dir: string;

function studio(args: string[], cwd = dir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, STUDIO_DATA_DIR: path.join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function pixel(file: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + info.channels)];
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-cli-'));
  await fs.mkdir(path.join(dir, 'in'));
  // 40x30 stored sideways: left half red, right half blue, EXIF orientation 6 (rotate 90° CW).
  const w = 40;
  const h = 30;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [220, 20, 20] : [20, 20, 220], (y * w + x) * 3);
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(path.join(dir, 'in', 'turned.jpg'));
  await sharp({ create: { width: 16, height: 12, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 0.5 } } }).png().toFile(path.join(dir, 'in', 'alpha.png'));
  const n = 24 * 16 * 3;
  const fine = new Float32Array(n);
  for (let i = 0; i < n; i++) fine[i] = (i % 1000) / 999;
  await fs.writeFile(path.join(dir, 'in', 'deep.tif'), await encodeImage({ width: 24, height: 16, channels: 3, data: fine }, { format: 'tiff', bitDepth: 16 }));
  await fs.writeFile(path.join(dir, 'in', 'broken.png'), (await fs.readFile(path.join(dir, 'in', 'alpha.png'))).subarray(0, 40));
  await fs.writeFile(path.join(dir, 'in', 'empty.jpg'), '');
  await fs.writeFile(path.join(dir, 'notes.png'), 'this is text');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('studio enhance', () => {
  it('upscales JPEG/PNG/16-bit TIFF from a folder, keeps orientation, alpha and depth; bad files fail alone', async () => {
    const before = await fs.readFile(path.join(dir, 'in', 'turned.jpg'));
    const r = await studio(['enhance', 'in', 'notes.png', 'missing.jpg', '--scale', '2', '--method', 'lanczos', '--out', 'out', '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const results = Object.fromEntries(
      lines.filter((l) => l.type === 'result').map((l) => [path.basename(l.input as string), l as { state: string; outputs: string[]; error?: { code: string } }]),
    );
    expect(Object.keys(results).sort()).toEqual(['alpha.png', 'broken.png', 'deep.tif', 'empty.jpg', 'missing.jpg', 'notes.png', 'turned.jpg']);
    expect(results['turned.jpg'].state).toBe('done');
    expect(results['broken.png'].error?.code).toBe('E_CORRUPT_IMAGE');
    expect(results['empty.jpg'].error?.code).toBe('E_EMPTY_FILE');
    expect(results['notes.png'].error?.code).toBe('E_UNSUPPORTED_FORMAT');
    expect(results['missing.jpg'].error?.code).toBe('E_FILE_NOT_FOUND');
    expect(lines.at(-1)).toMatchObject({ type: 'summary', done: 3, failed: 4 });
    expect(lines.some((l) => l.type === 'event')).toBe(true);

    const out = path.join(dir, 'out');
    expect((await fs.readdir(out)).sort()).toEqual(['alpha_lanczos_x2.png', 'deep_lanczos_x2.tif', 'turned_lanczos_x2.jpg']);
    const jpg = await sharp(path.join(out, 'turned_lanczos_x2.jpg')).metadata();
    expect([jpg.width, jpg.height]).toEqual([60, 80]); // upright 30x40, doubled
    expect(jpg.orientation ?? 1).toBe(1);
    const top = await pixel(path.join(out, 'turned_lanczos_x2.jpg'), 30, 10);
    const bottom = await pixel(path.join(out, 'turned_lanczos_x2.jpg'), 30, 70);
    expect(top[0]).toBeGreaterThan(150); // red on top after the 90° turn
    expect(bottom[2]).toBeGreaterThan(150);
    const png = await sharp(path.join(out, 'alpha_lanczos_x2.png')).metadata();
    expect([png.width, png.height, png.channels]).toEqual([32, 24, 4]);
    expect((await pixel(path.join(out, 'alpha_lanczos_x2.png'), 5, 5))[3]).toBeGreaterThan(100);
    expect((await pixel(path.join(out, 'alpha_lanczos_x2.png'), 5, 5))[3]).toBeLessThan(155);
    const tif = await sharp(path.join(out, 'deep_lanczos_x2.tif')).metadata();
    expect([tif.width, tif.height, tif.depth]).toEqual([48, 32, 'ushort']);
    expect(Buffer.compare(await fs.readFile(path.join(dir, 'in', 'turned.jpg')), before)).toBe(0);
  });

  it('never replaces an original or an earlier output unless asked, and names outputs clearly', async () => {
    const src = path.join(dir, 'in', 'alpha.png');
    const before = await fs.readFile(src);
    // Outputs beside the originals (no --out); a second run does not replace the first output.
    const a = await studio(['enhance', src, '--scale', '3', '--method', 'nearest']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/alpha\.png -> .*alpha_nearest_x3\.png/);
    const b = await studio(['enhance', src, '--scale', '3', '--method', 'nearest']);
    expect(b.code).toBe(0);
    // The re-run says where its output went, as --help says it will.
    expect(b.stdout).toContain('alpha_nearest_x3.png already exists, so this output is alpha_nearest_x3-2.png');
    expect((await studio(['enhance', '--help'])).stdout).toMatch(/<name>_<method>_x<scale>-2\.<ext>/);
    const c = await studio(['enhance', src, '--scale', '3', '--method', 'nearest', '--overwrite']);
    expect(c.code).toBe(0);
    const names = (await fs.readdir(path.join(dir, 'in'))).filter((f) => f.startsWith('alpha_nearest'));
    expect(names.sort()).toEqual(['alpha_nearest_x3-2.png', 'alpha_nearest_x3.png']);
    expect(Buffer.compare(await fs.readFile(src), before)).toBe(0);
  });

  it('a one-off enhance never runs the saved watched folders nor warns about their locks', async () => {
    const data = path.join(dir, 'data');
    const inbox = path.join(dir, 'watch-inbox');
    const delivered = path.join(dir, 'watch-out');
    await fs.mkdir(inbox, { recursive: true });
    const svc = await createStudioService({ dataDir: data, jobStore: 'memory', watch: { autostart: false } });
    try {
      await svc['watches.add']({ source: inbox, recipe: { method: 'nearest', scale: 2, outDir: delivered }, options: { existing: false, stableMs: 100 } });
    } finally {
      await svc.dispose();
    }
    // A photo lands in the watched folder while the app is closed.
    await sharp({ create: { width: 20, height: 12, channels: 3, background: '#808080' } }).png().toFile(path.join(inbox, 'arrived.png'));
    const other = path.join(dir, 'in', 'alpha.png');
    const r = await studio(['enhance', other, '--scale', '2', '--method', 'nearest', '--out', path.join(dir, 'one-off')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/watch|lock/i);
    expect(await fs.readdir(delivered).catch(() => [])).toEqual([]);
  });

  it('reads config.json keys, reports the ignored ones, writes the named output and its base64', async () => {
    const cfg = path.join(dir, 'config.json');
    await fs.writeFile(
      cfg,
      JSON.stringify({ image: 'in/alpha.png', output: 'cfg-out/result.webp', scale_factor: 2, scale_times: 2, max_MB: 5, base64: true, lr: 0.001, num_epochs: 50, colour: 'red' }),
    );
    const r = await studio(['enhance', '--config', cfg, '--method', 'bicubic']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/"colour" ignored \(not a known setting\)/);
    expect(r.stderr).toMatch(/"lr", "num_epochs" ignored/);
    const meta = await sharp(path.join(dir, 'cfg-out', 'result.webp')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 64, 48]); // 2 ** 2 = x4
    const b64 = await fs.readFile(path.join(dir, 'cfg-out', 'result.webp.b64'), 'utf8');
    expect(b64.startsWith('data:image/webp;base64,')).toBe(true);
    expect(Buffer.from(b64.split(',')[1], 'base64').equals(await fs.readFile(path.join(dir, 'cfg-out', 'result.webp')))).toBe(true);
    expect(await fs.readdir(path.join(dir, 'cfg-out'))).toHaveLength(2);
  });

  it('delivers export presets from the same run', async () => {
    const r = await studio(['enhance', 'in/deep.tif', '--scale', '2', '--method', 'bicubic', '--out', 'exp', '--export-preset', 'archive-png-16', '--json']);
    expect(r.code).toBe(0);
    const result = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; outputs?: string[] })
      .find((l) => l.type === 'result');
    const outputs = (result?.outputs ?? []).map((o) => path.relative(path.join(dir, 'exp'), o));
    expect(outputs[0]).toBe('deep_bicubic_x2.tif');
    const archive = outputs.find((o) => o.endsWith('.png'));
    expect(archive).toBeDefined();
    const meta = await sharp(path.join(dir, 'exp', archive as string)).metadata();
    expect([meta.width, meta.height, meta.depth]).toEqual([48, 32, 'ushort']);
    const unknown = await studio(['enhance', 'in/deep.tif', '--scale', '2', '--method', 'bicubic', '--out', 'exp2', '--export-preset', 'no-such-preset']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/E_NOT_FOUND/);
    await expect(fs.access(path.join(dir, 'exp2'))).rejects.toThrow(); // failed before any work
  });

  it('ZSSR: a kernel named in config.json is found beside it; back_projection_iters is accepted; one train event per step', async () => {
    const sub = path.join(dir, 'zssr-cfg');
    await fs.mkdir(path.join(sub, 'kernels'), { recursive: true });
    await fs.writeFile(path.join(sub, 'kernels', 'k.json'), '[[0, 1, 0], [1, 4, 1], [0, 1, 0]]');
    const tiny = { model_depth: 3, model_width: 8, crop_size: 16, num_epochs: 5, patch_size: 16, back_projection_iters: 2 };
    await fs.writeFile(path.join(sub, 'config.json'), JSON.stringify({ ...tiny, kernel_path: 'kernels/k.json' }));
    // Run from another folder: the kernel path is the config file's, not the current folder's.
    const r = await studio(['enhance', path.join(dir, 'in', 'alpha.png'), '--config', path.join(sub, 'config.json'), '--method', 'zssr', '--scale', '2', '--out', path.join(dir, 'zssr-out'), '--json', '--backend', 'wasm'], os.tmpdir());
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; event?: { type: string; step?: number } });
    const steps = lines.filter((l) => l.event?.type === 'train').map((l) => l.event?.step);
    expect(steps.at(-1)).toBe(5);
    expect(new Set(steps).size).toBe(steps.length);
    expect(lines.find((l) => l.type === 'result')).toMatchObject({ state: 'done' });
  });

  it('ZSSR: an unreadable kernel or contradicting settings are usage errors before any work', async () => {
    await fs.writeFile(path.join(dir, 'bad-kernel.json'), '[[1, 2], [3]]');
    const k = await studio(['enhance', 'in/alpha.png', '--method', 'zssr', '--scale', '2', '--kernel', 'bad-kernel.json', '--out', 'never']);
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/E_KERNEL_INVALID: .*bad-kernel\.json: a blur kernel must be a rectangular matrix/);
    const missing = await studio(['enhance', 'in/alpha.png', '--method', 'zssr', '--scale', '2', '--kernel', 'nope.mat', '--out', 'never']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/E_FILE_NOT_FOUND/);
    const cfg = path.join(dir, 'steps-config.json');
    await fs.writeFile(cfg, JSON.stringify({ scale_factors: [1.5, 3] }));
    const steps = await studio(['enhance', 'in/alpha.png', '--method', 'zssr', '--scale', '2', '--config', cfg, '--out', 'never']);
    expect(steps.code).toBe(2);
    expect(steps.stderr).toMatch(/scale_factors must end at the requested scale 2/);
    const notZssr = await studio(['enhance', 'in/alpha.png', '--method', 'bicubic', '--scale', '2', '--kernel', 'bad-kernel.json', '--out', 'never']);
    expect(notZssr.code).toBe(2);
    await expect(fs.access(path.join(dir, 'never'))).rejects.toThrow(); // nothing was started
  });

  it('exits with 2 on usage errors and lists models', async () => {
    const bad = await studio(['enhance', 'in/alpha.png', '--scale', '40', '--method', 'bicubic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scale must be at most 16/);
    expect((await studio(['enhance', 'in/alpha.png', '--scale', '2'])).code).toBe(2);
    expect((await studio(['enhance', 'in/alpha.png', '--scale', '2', '--method', 'bicubic', '--wat'])).code).toBe(2);
    const cfg = path.join(dir, 'broken-config.json');
    await fs.writeFile(cfg, '{ "scale_factor": "two" }');
    const c = await studio(['enhance', 'in/alpha.png', '--config', cfg, '--method', 'bicubic']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/E_CONFIG_INVALID/);
    const m = await studio(['models', '--json']);
    expect(m.code).toBe(0);
    const ids = (JSON.parse(m.stdout) as { id: string }[]).map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['nearest', 'bilinear', 'bicubic', 'lanczos']));
  });
});
