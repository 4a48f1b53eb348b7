// Export presets: time and memory to write each built-in preset's deliverables from one
// enhanced image (a synthetic 12 MP float image with camera EXIF; --quick: 1 MP).
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { FloatImage } from '../src-main/contract/image';
import { createPresetStore, exportWithPreset } from '../src-main/presets';
import { peakRssMiB, timedEnhance, type BenchContext } from './context';

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
  const rss = peakRssMiB(); // before the job's photo is made in this process
  const job = await presetJob(ctx);
  return [
    '## Export presets',
    '',
    `Measured ${ctx.date} on ${ctx.machine}. One enhanced ${w}x${h} image (${((w * h) / 1e6).toFixed(1)} MP, float RGB, camera EXIF), each built-in preset written by \`exportWithPreset\` (\`npm run bench -- presets${ctx.quick ? ' --quick' : ''}\`). Times include encoding, colour conversion, sharpening and ExifTool for TIFF EXIF.`,
    '',
    '| preset | outputs | seconds | files |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Peak RSS of the bench process: ${rss} MiB (the float image alone is ${((w * h * 12) / 2 ** 20).toFixed(0)} MiB).`,
    '',
    job,
  ].join('\n');
}

/**
 * A job with a preset as a user runs it: a 12 MP JPEG at lanczos x2 and the web JPEG preset. The
 * deliverable is rendered from the written output (streamed by libvips), so no full-size float
 * or 16-bit copy of the enlarged photo is held while it is made.
 */
async function presetJob(ctx: BenchContext): Promise<string> {
  const [w, h] = ctx.quick ? [1200, 800] : [4240, 2832];
  const photo = path.join(ctx.tmpDir, 'job-photo.jpg');
  const raw = Buffer.from(Float32Array.from(syntheticImage(w, h).data, (v) => Math.round(v * 255)));
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 92 }).toFile(photo);
  const out = path.join(ctx.tmpDir, 'job-out');
  await fs.mkdir(out, { recursive: true });
  const args = ['--method', 'lanczos', '--scale', '2', '--export-preset', 'client-web-jpeg-2048'];
  ctx.log(`studio enhance ${args.join(' ')} at ${w}x${h}`);
  const r = timedEnhance(photo, args, out, path.join(ctx.tmpDir, 'job-data'));
  await fs.rm(out, { recursive: true, force: true });
  const what = `\`studio enhance photo.jpg ${args.join(' ')}\` on a ${w}x${h} (${((w * h) / 1e6).toFixed(0)} MP) JPEG`;
  if (typeof r === 'string') return `${what}: ${r}.`;
  // The figure before deliverables were rendered from the output file (float pixels kept for them), same command and machine, 2026-12-05.
  const before = ctx.quick ? '' : '; 1621 MiB when the deliverable was made from float pixels kept in memory';
  return `${what}: ${r.seconds.toFixed(1)} s, peak RSS **${r.peakRssMiB} MiB** (GNU time${before}).`;
}
