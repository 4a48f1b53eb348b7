import type { QueueSetting } from '../../contract/farm';
// `studio enhance`: upscale photos through the same job queue and worker process as the app.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  BLIND_SCALES,
  BackendName,
  type BackendPreference,
  EnhanceRequest,
  MethodId,
  OutputFormat,
  QualityPreset,
  type ZssrConfig,
} from '../../contract/enhance';
import { StudioError, toErrorPayload, type ErrorPayload } from '../../contract/errors';
import type { JobEvent, JobInfo } from '../../contract/jobs';
// The settings and kernel modules only (no TensorFlow.js): `studio enhance` starts fast.
import { resolveConfig } from '../../engine/zssr/config';
import { loadKernelFile, writeOutput } from '../../imaging';
import { createStudioService, type StudioService } from '../../service';
import { IMAGE_EXTENSIONS, imageTypeOf } from '../../base/image-types';
import { parseChoice, parseCommandLine, parseNumber, usageError, queueHelp, takeQueue } from '../args';
import { readEnhanceConfig, type EnhanceConfig } from '../enhance-config';
import type { Command } from '../main';
import { ProgressBar } from '../progress';

const HELP = `Usage: studio enhance <files|folders...> --scale N --method M [--out DIR] [options]

Make photos larger and sharper. Each output is written as <name>_<method>_x<scale>.<ext>;
an original is never replaced. When that name is taken (a re-run), the output is written as
<name>_<method>_x<scale>-2.<ext> (then -3...) and the result line says so; --overwrite replaces
the earlier output instead. One-off commands never run the app's watched folders.

  --scale N              upscale factor, 1-16 (non-integer allowed, e.g. 2.5)
  --method M             nearest | bilinear | bicubic | lanczos, or a model id (studio models)
  --out DIR              output folder (default: beside each photo)
  --format F             jpeg | png | webp | avif | tiff (default: same as the photo;
                         16-bit PNG/TIFF stay 16-bit)
  --quality Q            1-100 for jpeg/webp/avif
  --preset P             draft | balanced | max (learned methods: speed vs quality)
  --blind                zssr only, x2 or x4: estimate the photo's own blur first (KernelGAN,
                         about a minute) and train ZSSR with it, with the Real photo setting;
                         the estimate is cached per photo
  --backend B            auto (default: the fastest that works here, see studio doctor) | onnx-cpu |
                         onnx-webgpu | onnx-directml | onnx-coreml | webgpu | tensorflow-gpu |
                         tensorflow | wasm | cpu (learned methods)
  --detail PCT           learned methods: percent of the net's own detail to keep, 0-100
                         (default 100; lower blends toward bicubic: less invented texture)
  --map                  learned methods: also write <output>.map.png, the hallucination map
                         (yellow: finer than the photo, inferred; red: differs from the photo)
  --export-preset NAME   also export with this preset; repeat for several deliverables
  --config FILE          a config.json with the keys image, output, scale_factor,
                         scale_times, max_MB, base64 and the ZSSR training keys; keys
                         without effect are reported as ignored
  --kernel FILE          ZSSR: the photo's blur kernel (.mat as the original ZSSR and
                         KernelGAN write them, .npy, .json, or a grey .png); it replaces
                         bicubic in making the training pairs and turns on --real-photo
  --real-photo           ZSSR: settings for real photos (noise in training, no
                         back-projection; "real_photo": false in --config turns it off)
  --recursive            take photos in sub-folders of the given folders too
  --jobs N               photos processed at once (default 1)
  --overwrite            replace existing output files (never the originals)
  --no-cache             do not use the per-image model cache (learned methods)
  --json                 one JSON object per line on stdout (events, results, summary)
${queueHelp(25)}
  --data-dir DIR         studio data folder (default: STUDIO_DATA_DIR or the user-data folder)

Exit codes: 0 all photos done, 1 some failed, 2 usage error, 130 interrupted.`;

const OPTIONS = {
  scale: { type: 'string' },
  method: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  quality: { type: 'string' },
  preset: { type: 'string' },
  backend: { type: 'string' },
  detail: { type: 'string' },
  map: { type: 'boolean', default: false },
  'export-preset': { type: 'string', multiple: true },
  config: { type: 'string' },
  kernel: { type: 'string' },
  'real-photo': { type: 'boolean', default: false },
  recursive: { type: 'boolean', default: false },
  jobs: { type: 'string' },
  overwrite: { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
  blind: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  'data-dir': { type: 'string' },
} as const;

export interface EnhancePlan {
  inputs: string[];
  /** The request for each input, minus `input` (and output.dir when outputs go beside each photo). */
  base: Omit<EnhanceRequest, 'input'>;
  outDir?: string;
  jobs: number;
  json: boolean;
  dataDir?: string;
  config?: EnhanceConfig;
  /** config.json `output`: the one output file. */
  outputFile?: string;
  warnings: string[];
}

const BACKEND_CHOICES: readonly BackendPreference[] = ['auto', ...BackendName.options];

/** Images directly in a folder (or below it with `recursive`), sorted; hidden files skipped. */
async function imagesIn(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...(await imagesIn(p, true)));
    } else if (IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

/** Files as given (a missing or bad one fails alone, with its code); folders expanded. */
async function expandInputs(args: string[], recursive: boolean): Promise<string[]> {
  const files: string[] = [];
  for (const a of args) {
    const abs = path.resolve(a);
    const st = await fs.stat(abs).catch(() => undefined);
    if (st?.isDirectory()) files.push(...(await imagesIn(abs, recursive)));
    else files.push(abs);
  }
  return [...new Set(files)];
}

export async function planEnhance(argv: string[]): Promise<EnhancePlan> {
  const { values: v, positionals } = parseCommandLine(argv, OPTIONS);
  const warnings: string[] = [];
  const config = v.config ? await readEnhanceConfig(v.config) : undefined;
  if (config) for (const i of config.ignored) warnings.push(`config: "${i.key}" ignored (${i.reason})`);

  const scale = parseNumber('scale', v.scale, { min: 1, max: 16 }) ?? config?.scale;
  if (scale === undefined) throw usageError('--scale is required (or scale_factor in --config)');
  if (v.scale !== undefined && config?.scale !== undefined) warnings.push('config: scale_factor/scale_times ignored (--scale given)');
  if (!v.method) throw usageError('--method is required');
  const method = MethodId.safeParse(v.method);
  if (!method.success) throw usageError(`--method: ${method.error.issues[0]?.message ?? 'invalid'}`);

  let args = positionals;
  if (config?.image) {
    if (args.length) warnings.push('config: "image" ignored (files given on the command line)');
    else args = [config.image];
  }
  if (!args.length) throw usageError('no photos given');
  const inputs = await expandInputs(args, v.recursive ?? false);
  if (!inputs.length) throw usageError(`no photos found in ${args.join(', ')}`);

  let outputFile: string | undefined;
  if (config?.output) {
    if (inputs.length === 1) outputFile = config.output;
    else warnings.push(`config: "output" ignored (${inputs.length} photos; it names one file)`);
  }
  let format = parseChoice('format', v.format, OutputFormat.options);
  if (!format && outputFile) format = OutputFormat.safeParse(imageTypeOf(outputFile)?.format).data;

  // ZSSR keys only mean something to methods that train on the photo.
  let zssr: ZssrConfig | undefined;
  const trains = method.data === 'zssr' || method.data.startsWith('zssr') || method.data === 'adapt';
  if (config && Object.keys(config.zssr).length) {
    if (trains) zssr = config.zssr;
    else {
      const keys = Object.keys(config.zssr).filter((k) => k !== 'scale_factor' && k !== 'scale_times');
      if (keys.length) warnings.push(`config: ${keys.map((k) => `"${k}"`).join(', ')} ignored (only methods that train use them, e.g. --method zssr)`);
    }
  }

  if (v.blind) {
    if (method.data !== 'zssr') throw usageError('--blind goes with --method zssr');
    if (!(BLIND_SCALES as readonly number[]).includes(scale)) throw usageError(`--blind estimates x2 and x4 kernels; --scale ${scale} is not one of them`);
    zssr = { ...zssr, blind: true };
  }
  if (v.kernel !== undefined || v['real-photo']) {
    if (!method.data.startsWith('zssr')) throw usageError(`--${v.kernel !== undefined ? 'kernel' : 'real-photo'} is a ZSSR setting (--method zssr)`);
    zssr = { ...zssr, ...(v.kernel !== undefined ? { kernel_path: path.resolve(v.kernel) } : {}), ...(v['real-photo'] ? { real_photo: true } : {}) };
  }
  // A kernel that cannot be read or settings that contradict the scale are the user's input:
  // refused here, before any photo is touched.
  if (zssr && method.data.startsWith('zssr')) await checkZssrSettings(scale, v.preset, zssr);

  const exportPresets = v['export-preset'];
  const base: Omit<EnhanceRequest, 'input'> = {
    method: method.data,
    scale,
    ...(v.preset ? { preset: parseChoice('preset', v.preset, QualityPreset.options) } : {}),
    ...(v.backend ? { backend: parseChoice('backend', v.backend, BACKEND_CHOICES) } : {}),
    ...(v.detail !== undefined ? { detail: parseNumber('detail', v.detail, { min: 0, max: 100 }) } : {}),
    ...(v.map ? { map: true } : {}),
    ...(zssr ? { zssr } : {}),
    ...(exportPresets?.length ? { exportPresets } : {}),
    ...(v['no-cache'] ? { noCache: true } : {}),
    output: {
      ...(format ? { format } : {}),
      ...(v.quality !== undefined ? { quality: parseNumber('quality', v.quality, { min: 1, max: 100, integer: true }) } : {}),
      ...(v.overwrite ? { overwrite: true } : {}),
    },
  };
  const probe = EnhanceRequest.safeParse({ ...base, input: inputs[0], output: { ...base.output, dir: '/' } });
  if (!probe.success) throw usageError(probe.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));

  return {
    inputs,
    base,
    ...(v.out ? { outDir: path.resolve(v.out) } : {}),
    jobs: parseNumber('jobs', v.jobs, { min: 1, max: 8, integer: true }) ?? 1,
    json: v.json ?? false,
    ...(v['data-dir'] ? { dataDir: path.resolve(v['data-dir']) } : {}),
    ...(config ? { config } : {}),
    ...(outputFile ? { outputFile } : {}),
    warnings,
  };
}

async function checkZssrSettings(scale: number, preset: string | undefined, zssr: ZssrConfig): Promise<void> {
  try {
    const kernel = zssr.kernel_path ? await loadKernelFile(zssr.kernel_path) : undefined;
    resolveConfig(scale, QualityPreset.safeParse(preset).data ?? 'balanced', zssr, kernel ? { kernel } : {});
  } catch (err) {
    if (err instanceof StudioError) throw usageError(`${err.code}: ${err.message}`);
    throw err;
  }
}

interface Item {
  input: string;
  label: string;
  job?: JobInfo;
  active?: boolean;
  finished?: boolean;
  fraction: number;
  etaMs?: number;
  phase?: string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** config.json `output` and `base64`: move the one output to its named file, write data URLs. */
/** The name an output `x-2.png` would have had when `x.png` exists (it was taken), else undefined. */
function takenNameOf(file: string): string | undefined {
  const m = /^(.*)-\d+(\.[^./\\]+)$/.exec(file);
  return m && existsSync(m[1] + m[2]) ? m[1] + m[2] : undefined;
}

async function finishOutputs(plan: EnhancePlan, item: Item, outputs: string[]): Promise<string[]> {
  let files = outputs;
  if (plan.outputFile && outputs[0]) {
    const bytes = await fs.readFile(outputs[0]);
    await writeOutput(plan.outputFile, bytes, { inputPath: item.input, overwrite: plan.base.output?.overwrite ?? false });
    if (path.resolve(outputs[0]) !== path.resolve(plan.outputFile)) await fs.rm(outputs[0], { force: true });
    files = [plan.outputFile, ...outputs.slice(1)];
  }
  if (plan.config?.base64) {
    const extra: string[] = [];
    for (const f of files) {
      const mime = imageTypeOf(f)?.mime ?? 'application/octet-stream';
      const b64 = `${f}.b64`;
      await writeOutput(b64, Buffer.from(`data:${mime};base64,${(await fs.readFile(f)).toString('base64')}\n`), {
        inputPath: item.input,
        overwrite: true,
      });
      extra.push(b64);
    }
    files = [...files, ...extra];
  }
  return files;
}

export async function runEnhance(plan: EnhancePlan, queue?: QueueSetting): Promise<number> {
  const t0 = Date.now();
  // A reader that went away (`studio enhance ... --json | head`) is not an error of the batch.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const bar = new ProgressBar(process.stderr);
  const useBar = !plan.json && bar.enabled;
  const say = (line: string, toErr = false) => {
    const stream = toErr ? process.stderr : process.stdout;
    if (useBar) bar.log(line, stream);
    else stream.write(`${line}\n`);
  };
  const warn = (message: string) => (plan.json ? out({ type: 'warning', message }) : say(`warning: ${message}`, true));
  for (const w of plan.warnings) warn(w);

  let service: StudioService | undefined;
  const items = plan.inputs.map((input): Item => ({ input, label: path.relative(process.cwd(), input) || input, fraction: 0 }));
  const byJob = new Map<string, Item>();
  const counts = { done: 0, failed: 0, cancelled: 0 };
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    warn('interrupted: cancelling (Ctrl-C again to quit at once)');
    for (const it of items) if (it.job) void service?.['jobs.cancel'](it.job.id).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);

  const running = () => items.find((i) => i.active && !i.finished && i.phase);
  const redraw = () => {
    const cur = running();
    const finished = counts.done + counts.failed + counts.cancelled;
    bar.update({
      finished,
      total: items.length,
      fraction: cur?.fraction ?? 0,
      label: cur ? `${path.basename(cur.input)} ${cur.phase}` : undefined,
      etaMs: cur?.etaMs,
    });
  };

  const report = async (item: Item, job: JobInfo) => {
    const ms = job.startedAt && job.finishedAt ? job.finishedAt - job.startedAt : 0;
    let outputs = job.outputs;
    let error: ErrorPayload | undefined = job.error;
    let state = job.state;
    if (state === 'done') {
      try {
        outputs = await finishOutputs(plan, item, outputs);
      } catch (err) {
        error = toErrorPayload(err);
        state = 'failed';
      }
    }
    item.finished = true;
    counts[state === 'done' ? 'done' : state === 'cancelled' ? 'cancelled' : 'failed']++;
    redraw(); // the bar under the result line already counts it
    if (plan.json) {
      out({ type: 'result', input: item.input, state, outputs, ...(error && state !== 'done' ? { error } : {}), ms, ...(job.backend ? { backend: job.backend } : {}) });
    } else if (state === 'done') {
      say(`done    ${item.label} -> ${outputs.map((o) => path.relative(process.cwd(), o) || o).join(', ')} (${seconds(ms)}${job.backend ? `, ${job.backend}` : ''})`);
      for (const o of outputs) {
        const taken = takenNameOf(o);
        if (taken) say(`note    ${item.label}: ${path.basename(taken)} already exists, so this output is ${path.basename(o)} (--overwrite replaces it)`);
      }
    } else {
      say(`${state.padEnd(7)} ${item.label}: ${error ? `${error.code}: ${error.message}` : state}`, true);
    }
  };

  const onJobEvent = (e: JobEvent) => {
    const item = byJob.get(e.jobId);
    if (!item) return;
    if (plan.json && e.type !== 'state' && e.type !== 'output') out({ type: 'event', input: item.input, event: e });
    if (e.type === 'progress' || e.type === 'train') item.active = true;
    if (e.type === 'info' && e.notice && !plan.json) say(`note    ${item.label}: ${e.message}`, true);
    if (e.type === 'progress') {
      const p = e.progress;
      item.phase = p.unit === 'tiles' ? `${p.phase} tile ${p.done}/${p.total}` : `${p.phase}${p.total > 1 ? ` ${Math.floor((100 * p.done) / p.total)}%` : ''}`;
      // decode/encode are quick; the upscale (train + infer) is the bulk of a photo's time.
      const weight = { decode: [0, 0.05], estimate: [0.05, 0.35], train: [0.05, 0.6], infer: [0.05, 0.9], encode: [0.9, 1], export: [0.95, 1] }[p.phase];
      const f = p.total ? p.done / p.total : 0;
      item.fraction = weight[0] + (weight[1] - weight[0]) * f;
      item.etaMs = p.etaMs;
      if (useBar) redraw();
    } else if (e.type === 'train') {
      item.phase = `train ${e.step}/${e.totalSteps} loss ${e.loss.toPrecision(3)}`;
      item.etaMs = e.etaMs;
      if (useBar) redraw();
    }
  };

  try {
    service = await createStudioService({
      ...(queue ? { queue } : {}),
      ...(plan.dataDir ? { dataDir: plan.dataDir } : {}),
      jobStore: 'memory', // one-shot: never touches the app's journal
      watch: { autostart: false }, // nor runs the app's watched folders (nor waits for their locks)
      settingsDefaults: false, // the CLI's default is "same format as the photo"
      concurrency: plan.jobs,
      ...(plan.config?.maxMB ? { limits: { maxFileMB: plan.config.maxMB } } : {}),
      onWarning: warn,
    });
    const models = await service['models.list']();
    if (!models.some((m) => m.id === plan.base.method)) {
      throw usageError(`unknown method '${plan.base.method}'; available: ${models.map((m) => m.id).join(', ')}`);
    }
    if (plan.json) out({ type: 'start', files: items.length, method: plan.base.method, scale: plan.base.scale, ...(plan.outDir ? { out: plan.outDir } : {}) });
    service.events.subscribe((e) => {
      if (e.topic === 'job') onJobEvent(e.event);
    });
    if (useBar) redraw();

    const waits: Promise<void>[] = [];
    for (const item of items) {
      if (interrupted) break;
      const req: EnhanceRequest = {
        ...plan.base,
        input: item.input,
        output: { ...plan.base.output, dir: plan.outputFile ? path.dirname(plan.outputFile) : (plan.outDir ?? path.dirname(item.input)) },
      };
      const job = await service['jobs.enqueue'](req);
      item.job = job;
      byJob.set(job.id, item);
      const svc = service;
      waits.push(svc.queue.wait(job.id).then((j) => report(item, j)));
    }
    await Promise.all(waits);
  } finally {
    process.off('SIGINT', onSigint);
    bar.done();
    await service?.dispose();
  }

  const ms = Date.now() - t0;
  const skipped = items.length - counts.done - counts.failed - counts.cancelled;
  if (plan.json) out({ type: 'summary', ...counts, ...(skipped ? { skipped } : {}), ms });
  else {
    const parts = [`${counts.done} done`, ...(counts.failed ? [`${counts.failed} failed`] : []), ...(counts.cancelled ? [`${counts.cancelled} cancelled`] : [])];
    process.stderr.write(`${parts.join(', ')} in ${seconds(ms)}\n`);
  }
  if (interrupted) return 130;
  return counts.failed || counts.cancelled || skipped ? 1 : 0;
}

export const command: Command = {
  summary: 'upscale photos (files or folders) with a classical method or a model',
  help: HELP,
  async run(rawArgv) {
    const { argv, queue } = takeQueue(rawArgv);
    let plan: EnhancePlan;
    try {
      plan = await planEnhance(argv);
    } catch (err) {
      // A missing or broken --config is the user's input too: exit code 2.
      if (err instanceof StudioError && (err.code === 'E_CONFIG_INVALID' || err.code === 'E_FILE_NOT_FOUND')) {
        throw new StudioError('E_INVALID_ARGUMENT', `${err.code}: ${err.message}`);
      }
      throw err;
    }
    return runEnhance(plan, queue);
  },
};
