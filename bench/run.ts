// `npm run bench [-- section ...] [--data DIR] [--quick]`: runs benchmark sections and rewrites
// their parts of BENCHMARKS.md, keeping sections that were not re-run.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineLine, type BenchContext } from './context';

type Section = { run(ctx: BenchContext): Promise<string> };

// name -> module. Each area adds one line.
const SECTIONS: Record<string, () => Promise<Section>> = {
  classical: () => import('./classical'),
  watch: () => import('./watch'),
  presets: () => import('./presets'),
  desktop: () => import('./desktop'),
  zssr: () => import('./zssr'),
  'zssr-quality': () => import('./zssr-quality'),
  'zssr-big': () => import('./zssr-quality').then((m) => ({ run: m.runBig })),
  'zssr-kernel': () => import('./zssr-kernel'),
  'zssr-warm': () => import('./zssr-warm'),
  jobs: () => import('./jobs'),
  pretrained: () => import('./pretrained'),
  'pretrained-big': () => import('./pretrained').then((m) => ({ run: m.runBig })),
  adapt: () => import('./pretrained').then((m) => ({ run: m.runAdapt })),
  compute: () => import('./compute'),
  realesrgan: () => import('./realesrgan'),
  niqe: () => import('./niqe'),
  kernelgan: () => import('./kernelgan'),
  farm: () => import('./farm'),
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mdPath = path.join(root, 'BENCHMARKS.md');

function replaceSection(md: string, name: string, body: string): string {
  const start = `<!-- section:${name} -->`;
  const end = `<!-- /section:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  if (i >= 0 && j > i) return md.slice(0, i) + block + md.slice(j + end.length);
  return `${md.trimEnd()}\n\n${block}\n`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { data: { type: 'string' }, quick: { type: 'boolean', default: false } },
  });
  const names = positionals.length ? positionals : Object.keys(SECTIONS);
  for (const n of names) if (!SECTIONS[n]) throw new Error(`unknown bench section '${n}'; known: ${Object.keys(SECTIONS).join(', ')}`);
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-bench-'));
  const ctx: BenchContext = {
    dataDir: path.resolve(values.data ?? process.env.STUDIO_BENCH_DATA ?? path.join(root, '..', 'shared', 'data', 'sr-benchmark')),
    quick: values.quick ?? false,
    tmpDir,
    date: new Date().toISOString().slice(0, 10),
    machine: machineLine(),
    log: (m) => console.error(`[bench] ${m}`),
  };
  const header = '# Benchmarks\n\nMade by `npm run bench`; each section says when and on what machine it was measured.\n';
  try {
    for (const n of names) {
      ctx.log(`section ${n}`);
      const mod = await SECTIONS[n]();
      const body = await mod.run(ctx);
      // Re-read right before writing: other bench runs may have rewritten other sections meanwhile.
      const md = await fs.readFile(mdPath, 'utf8').catch(() => header);
      await fs.writeFile(mdPath, replaceSection(md, n, body)); // after each section, so a long run keeps what it measured
      console.log(body);
    }
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}

await main();
