// `npm run bench -- niqe [--quick]`: NIQE with the shipped pristine model on Set14 x4 — the ground
// truth, bicubic, ESRGAN-thick and both Real-ESRGAN methods — to show how it ranks them against
// published NIQE (real photos and GAN results natural, bicubic blur last), plus NIQE's own speed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBackend } from '../src-main/engine/backend';
import { halfPlane, makeLowRes } from '../src-main/engine/classical';
import { getUpscaler } from '../src-main/engine/registry';
import { decodeImage } from '../src-main/imaging';
import { niqeImage, readNiqeModel, srMetrics } from '../src-main/metrics';
import { SHIPPED_MODEL } from './niqe-fit';
import type { BenchContext } from './context';

const SCALE = 4;

interface Row {
  label: string;
  niqe: number[];
  psnr: number[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** What the order says, from the numbers: bicubic against the GANs, and any GAN below the ground truth. */
function explain(hr: Row, bicubic: Row, gans: Row[], files: string[]): string[] {
  const out: string[] = [];
  const behind = gans.filter((g) => mean(g.niqe) < mean(bicubic.niqe));
  if (behind.length === gans.length) out.push('Bicubic is last, as in published NIQE tables, where PSNR puts it ahead of the GANs.');
  const below = gans.filter((g) => mean(g.niqe) < mean(hr.niqe));
  if (below.length) {
    const worst = files
      .map((f, i) => ({ f, v: hr.niqe[i] }))
      .sort((a, b) => b.v - a.v)
      .slice(0, 4)
      .map((x) => `${x.f} ${x.v.toFixed(1)}`);
    out.push(
      `${below.map((g) => g.label).join(' and ')} ${below.length > 1 ? 'score' : 'scores'} below the ground truth: NIQE measures how natural an image looks, not fidelity.`,
      `The GAN outputs are clean and densely textured, while several Set14 originals carry sensor or scan noise and few`,
      `96x96 patches (worst HR scores: ${worst.join(', ')}), which a model fitted on clean photos counts against them.`,
    );
  }
  return out;
}

export async function run(ctx: BenchContext): Promise<string> {
  const model = await readNiqeModel(SHIPPED_MODEL);
  const dir = path.join(ctx.dataDir, 'Set14');
  const all = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort();
  const files = ctx.quick ? all.slice(0, 3) : all;
  const backend = await ensureBackend('wasm');
  const methods = ['bicubic', 'esrgan-thick', 'realesrgan-fast', 'realesrgan'].map((id) => ({ label: id, up: getUpscaler(id) }));

  const hrRow: Row = { label: 'HR (ground truth)', niqe: [], psnr: [] };
  const rows: Row[] = methods.map((m) => ({ label: m.label, niqe: [], psnr: [] }));
  let niqeMs = 0;
  let niqeMp = 0;
  for (const f of files) {
    const name = path.parse(f).name;
    const { hr, lr } = makeLowRes((await decodeImage(path.join(dir, f))).rgb, SCALE);
    const t0 = performance.now();
    hrRow.niqe.push(niqeImage(hr, model, halfPlane, SCALE));
    niqeMs += performance.now() - t0;
    niqeMp += ((hr.width - 2 * SCALE) * (hr.height - 2 * SCALE)) / 1e6;
    for (let k = 0; k < methods.length; k++) {
      const sr = await methods[k].up.upscale(lr, { scale: SCALE, backend });
      rows[k].niqe.push(niqeImage(sr, model, halfPlane, SCALE));
      rows[k].psnr.push(srMetrics(hr, sr, SCALE, { ssim: false }).psnr);
      ctx.log(`${name} ${methods[k].label}: NIQE ${rows[k].niqe.at(-1)?.toFixed(3)} (HR ${hrRow.niqe.at(-1)?.toFixed(3)})`);
    }
  }

  const bicubic = rows[0];
  const table = ['| images | NIQE (mean) | PSNR dB (mean) | images with NIQE below bicubic | images with NIQE above HR |', '|---|---|---|---|---|'];
  for (const r of [hrRow, ...rows]) {
    const below = r.niqe.filter((v, i) => v < bicubic.niqe[i]).length;
    const above = r.niqe.filter((v, i) => v > hrRow.niqe[i]).length;
    const psnr = r.psnr.length ? mean(r.psnr).toFixed(2) : '—';
    table.push(`| ${r.label} | ${mean(r.niqe).toFixed(3)} | ${psnr} | ${r === bicubic ? '—' : `${below} / ${files.length}`} | ${r === hrRow ? '—' : `${above} / ${files.length}`} |`);
  }
  const ranked = [hrRow, ...rows].sort((a, b) => mean(a.niqe) - mean(b.niqe));
  const gans = rows.slice(1);
  const holds = gans.every((g) => mean(hrRow.niqe) < mean(g.niqe) && mean(g.niqe) < mean(bicubic.niqe));
  const perImage = ['| image | HR | ' + rows.map((r) => r.label).join(' | ') + ' |', '|---|' + '---|'.repeat(rows.length + 1)];
  files.forEach((f, i) => perImage.push(`| ${f} | ${hrRow.niqe[i].toFixed(2)} | ${rows.map((r) => r.niqe[i].toFixed(2)).join(' | ')} |`));
  return [
    '## NIQE on Set14 x4 (no-reference quality)',
    '',
    `Measured ${ctx.date} on ${ctx.machine}. \`npm run bench -- niqe\`${ctx.quick ? ' --quick (first 3 images)' : ''}. NIQE with the shipped`,
    `pristine model (${model.patches} patches from ${model.fittedOn.split(' (')[0]}): Y channel, ${SCALE} px shaved, as PIRM 2018 scores`,
    `super-resolution; lower is more natural. LR inputs by MATLAB bicubic downscale; learned methods on the tfjs ${backend} backend;`,
    `1-minute load average ${os.loadavg()[0].toFixed(1)} at the end (shared machine).`,
    '',
    ...table,
    '',
    `Order by mean NIQE: ${ranked.map((r) => `${r.label} ${mean(r.niqe).toFixed(2)}`).join(' < ')}.`,
    `HR < every GAN < bicubic: **${holds ? 'holds' : 'does not hold'}**.`,
    ...explain(hrRow, bicubic, gans, files),
    '',
    `NIQE speed: ${(niqeMs / niqeMp).toFixed(0)} ms per megapixel (HR images, one thread; no reference implementation to compare in ../shared/bench).`,
    '',
    '<details><summary>Per image</summary>',
    '',
    ...perImage,
    '',
    '</details>',
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
}
