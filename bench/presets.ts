// Export presets: time and memory to write each built-in preset's deliverables from one
// enhanced image (a synthetic 12 MP float image with camera EXIF; --quick: 1 MP).
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { FloatImage } from '../src-main/contract/image';
import { createPresetStore, exportWithPreset } from '../src-main/presets';
import { peakRssMiB, type BenchContext } from './context';

function syntheticImage(width: number, height: number): FloatImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const fine = 0.04 * Math.sin(x * 0.9) * Math.cos(y * 0.7);
      data[i] = Math.min(1, Math.max(0, x / width + fine));
      data[i + 1] = Math.min(1, Math.max(0, y / height + fine));
      data[i + 2] = Math.min(1, Math.max(0, 0.5 + 0.5 * Math.sin((x + y) / 97) + fine));
    }
  }
  return { width, height, channels: 3, data };
}

async function cameraExif(): Promise<Buffer> {
  const jpg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } })
    .withExif({
      IFD0: { Make: 'Canon', Model: 'EOS R5', Copyright: 'Bench' },
      IFD2: { DateTimeOriginal: '2024:05:06 07:08:09', ExposureTime: '1/250' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' },
    })
    .jpeg()
    .toBuffer();
  const { exif } = await sharp(jpg).metadata();
  return exif!.subarray(6);
}

export async function run(ctx: BenchContext): Promise<string> {
  const [w, h] = ctx.quick ? [1200, 900] : [4000, 3000];
  const rgb = syntheticImage(w, h);
  const exif = await cameraExif();
  const store = createPresetStore(path.join(ctx.tmpDir, 'data'));
  const presets = (await store.list()).filter((e) => e.builtin).map((e) => e.preset);
  const rows: string[] = [];
  for (const preset of presets) {
    const outRoot = path.join(ctx.tmpDir, preset.id);
    ctx.log(`${preset.id} at ${w}x${h}`);
    const t0 = performance.now();
    const files = await exportWithPreset(
      { rgb, meta: { format: 'jpeg', bitDepth: 8, width: w, height: h, exif }, sourcePath: path.join(ctx.tmpDir, 'IMG_0001.jpg'), sourceHash: '0'.repeat(64), method: 'esrgan-slim', scale: 4 },
      { ...preset, client: 'Bench' },
      { outRoot },
    );
    const ms = performance.now() - t0;
    const sizes = await Promise.all(files.map(async (f) => (await fs.stat(f)).size));
    const list = files.map((f, i) => `${path.extname(f).slice(1)} ${(sizes[i] / 2 ** 20).toFixed(1)} MB`).join(', ');
    rows.push(`| ${preset.name} | ${preset.outputs.length} | ${(ms / 1000).toFixed(2)} | ${list} |`);
    await fs.rm(outRoot, { recursive: true, force: true });
  }
  return [
    '## Export presets',
    '',
    `Measured ${ctx.date} on ${ctx.machine}. One enhanced ${w}x${h} image (${((w * h) / 1e6).toFixed(1)} MP, float RGB, camera EXIF), each built-in preset written by \`exportWithPreset\` (\`npm run bench -- presets${ctx.quick ? ' --quick' : ''}\`). Times include encoding, colour conversion, sharpening and ExifTool for TIFF EXIF.`,
    '',
    '| preset | outputs | seconds | files |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Peak RSS of the bench process: ${peakRssMiB()} MiB (the float image alone is ${((w * h * 12) / 2 ** 20).toFixed(0)} MiB).`,
  ].join('\n');
}
