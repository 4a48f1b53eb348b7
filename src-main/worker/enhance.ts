import path from 'node:path';
import type { BackendName, EnhanceRequest, OutputFormat } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';
import { currentBackend } from '../engine/backend';
import { classicalKernel } from '../engine/classical';
import { blendDetail, hallucinationMap } from '../engine/detail';
import { getUpscaler } from '../engine/registry';
import type { ModelStore, UpscaleContext, Upscaler } from '../engine/upscaler';
import { admitImage, decodeImage, encodeImage, loadKernelFile, outputDepth, quantize, rasterOf, samplesRenderSource, writeOutput, type ImageMeta, type Raster } from '../imaging';
import { fileRenderSource } from '../imaging/render/source';
import type { WorkerJobEvent, WorkerJobResult, WorkerRunOptions } from '../jobs/worker-protocol';
import { createPresetStore, exportWithPreset, processingSettings, sameAsSourcePreset, type PresetEntry } from '../presets';
import { placeNewBuffer } from '../presets/place';
import { cameraHints } from './hints';
import { outputFileName, sameFamilyFormat } from '../presets/output-name';
import { OutputLedger, outputLedgerPath, undoEarlierAttempt } from './output-ledger';
import { ProgressReporter } from './progress';
import { resizeFileToSamples } from './stream-resize';

export interface EnhanceContext {
  signal: AbortSignal;
  emit(e: WorkerJobEvent): void;
  options: WorkerRunOptions;
  /** The per-image model cache for learned methods (cache/), when there is one. */
  store?: ModelStore;
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new StudioError('E_CANCELLED', 'cancelled');
}

/**
 * One photo: probe -> size check (before any work) -> decode -> upscale (alpha separately,
 * bicubic) -> the main output: the built-in "same as the result" preset, rendered and placed by
 * exportWithPreset like every deliverable and plain export (format, bit depth, ICC, EXIF, XMP,
 * DPI; never over the original). Every file the job places is in its output ledger first, so a
 * redo after a crash starts by removing what the interrupted attempt left and writes the same
 * names again.
 */
export async function runEnhance(req: EnhanceRequest, ctx: EnhanceContext): Promise<WorkerJobResult> {
  const { signal, options } = ctx;
  const limits = options.limits;
  const progress = new ProgressReporter(ctx.emit);
  const input = path.resolve(req.input);
  const ledger = await openLedger(input, ctx);
  const upscaler = getUpscaler(req.method); // an unknown method fails before any file is read
  const presets = await resolvePresets(req.exportPresets, options);

  progress.progress('decode', 0, 1);
  const head = await admitImage(input, limits ?? {}, req.scale);
  throwIfCancelled(signal);
  const format = req.output?.format ?? sameFamilyFormat(head.format);
  const dir = path.resolve(req.output?.dir ?? options.outputsDir);
  const wanted = path.join(dir, outputFileName(input, req.method, req.scale, format));
  const overwrite = req.output?.overwrite ?? false;

  // Classical methods go from file to output samples without float images; everything else
  // upscales in memory. Deliverables are rendered from the written output, not from pixels kept.
  const kernel = classicalKernel(req.method);
  const made: Made =
    kernel && !head.hasAlpha
      ? await resizeFileToSamples(input, kernel, req, format, {
          limits,
          signal,
          onDecoded: () => progress.progress('decode', 1, 1),
          onProgress: (done, total) => progress.progress('infer', done, total),
          onEncoding: () => progress.progress('encode', 0, 1),
          onWarning: (message) => ctx.emit({ type: 'info', message, notice: true }),
        })
      : await upscaleInMemory(req, ctx, { upscaler, input, format, progress });
  throwIfCancelled(signal);
  // Names in deliverables come from the job, not the clock: every attempt gives the same ones.
  const naming = options.job ? { date: new Date(options.job.createdAt), seq: options.job.seq ?? 1 } : {};
  const outputs: string[] = [];

  // A job is all or nothing: if a write or an export fails (or the job is cancelled), what this
  // job wrote is removed again (a retry starts clean).
  const source = {
    meta: head,
    sourcePath: input,
    method: req.method,
    scale: req.scale,
    ...(made.backend ? { backend: made.backend } : {}),
    settings: processingSettings(req),
  };
  try {
    const [file] = await exportWithPreset({ render: samplesRenderSource(takePixels(made), made.meta), ...source }, sameAsSourcePreset({ ...req.output, format }, head.format), {
      outRoot: dir,
      fileName: path.basename(wanted),
      replace: overwrite,
      ...naming,
      madeAt: new Date(),
      log: ledger,
      signal,
      onWarning: (message) => ctx.emit({ type: 'info', message, notice: true }),
    });
    if (!file) throw new StudioError('E_WOULD_OVERWRITE', `no free file name near ${wanted}`);
    progress.progress('encode', 1, 1);
    outputs.push(file);
    ctx.emit({ type: 'output', files: [file] });
    if (made.map) {
      const mapFile = await placeMap(file.replace(/\.[^.\\/]+$/, '.map.png'), made.map, { input, overwrite, ledger });
      outputs.push(mapFile);
      ctx.emit({ type: 'output', files: [mapFile] });
    }

    // Deliverables of the export presets, rendered from the output just written (as an export
    // of the result later is): one path, and no full-size pixels held while they are made.
    const rendered = presets.length ? (await fileRenderSource(file)).source : undefined;
    for (const [i, entry] of presets.entries()) {
      throwIfCancelled(signal);
      progress.progress('export', i, presets.length);
      if (!rendered) break;
      const files = await exportWithPreset(
        { render: rendered, ...source },
        entry.preset,
        {
          outRoot: dir,
          ...naming,
          madeAt: new Date(),
          log: ledger,
          signal,
          onWarning: (message) => ctx.emit({ type: 'info', message: `${entry.preset.name}: ${message}` }),
        },
      );
      outputs.push(...files);
      ctx.emit({ type: 'output', files });
      progress.progress('export', i + 1, presets.length);
    }
  } catch (err) {
    await ledger.undo().catch(() => undefined); // the job's own error is the one to report
    throw err;
  }
  // Done: the files stay. The ledger stays too until the host has recorded the job done (it
  // removes it then), so a crash in between still gives a clean redo.
  await ledger.close();

  return {
    outputs,
    ...(made.backend ? { backend: made.backend } : {}),
    ...(made.cacheHit !== undefined ? { cacheHit: made.cacheHit } : {}),
  };
}

/** The result's samples (at the output depth), the decoded photo's metadata, what the method reported. */
interface Made {
  /** Taken (takePixels) for the main output: nothing holds the full-size samples afterwards. */
  pixels?: Raster;
  meta: ImageMeta;
  /** The hallucination map (PNG at the photo's size), when asked for. */
  map?: Buffer;
  backend?: BackendName;
  cacheHit?: boolean;
}

/** The samples, handed over once: the main output's render source then holds the only reference. */
function takePixels(made: Made): Raster {
  const { pixels } = made;
  if (!pixels) throw new StudioError('E_INTERNAL', 'the result was already written');
  made.pixels = undefined;
  return pixels;
}

/**
 * Decode, upscale (alpha separately, bicubic), quantize to the output depth. Without alpha, a
 * method that can write 8/16-bit samples as it goes does so and the float result never exists
 * (a third of the memory on big photos).
 */
async function upscaleInMemory(
  req: EnhanceRequest,
  ctx: EnhanceContext,
  o: { upscaler: Upscaler; input: string; format: OutputFormat; progress: ProgressReporter },
): Promise<Made> {
  const { signal } = ctx;
  const { progress, upscaler } = o;
  const { rgb, alpha, meta } = await decodeImage(o.input, ctx.options.limits);
  for (const message of meta.warnings ?? []) ctx.emit({ type: 'info', message, notice: true });
  progress.progress('decode', 1, 1);
  throwIfCancelled(signal);

  let backend: BackendName | undefined;
  let cacheHit: boolean | undefined;
  const learned = upscaler.info.family !== 'interpolation';
  // Only methods that learn from the photo have a training phase; a pretrained net goes straight to its tiles.
  const trains = upscaler.info.family === 'zero-shot' || upscaler.info.family === 'adapt';
  progress.progress(trains ? 'train' : 'infer', 0, 1);
  // A blur kernel file is read here (imaging knows its formats); the engine gets the matrix.
  const kernel = req.zssr?.kernel_path ? await loadKernelFile(req.zssr.kernel_path) : undefined;
  const uctx: UpscaleContext = {
    ...(kernel ? { kernel } : {}),
    scale: req.scale,
    preset: req.preset,
    zssr: req.zssr,
    backend: req.backend,
    store: req.noCache ? undefined : ctx.store,
    hints: cameraHints(meta.exif),
    signal,
    onProgress: (p) => progress.engine(p),
    onEvent: (e) => {
      if (e.backend) backend = e.backend;
      if (e.cacheHit !== undefined) cacheHit = e.cacheHit;
      ctx.emit({
        type: 'info',
        message: e.message,
        ...(e.backend ? { backend: e.backend } : {}),
        ...(e.cacheHit !== undefined ? { cacheHit: e.cacheHit } : {}),
        ...(e.notice ? { notice: true } : {}),
      });
    },
  };
  const depth = outputDepth(o.format, req.output?.bitDepth, meta.bitDepth);
  // Detail below 100 % and the map need the float result.
  const detail = learned && req.detail !== undefined && req.detail < 100 ? req.detail / 100 : 1;
  const wantMap = learned && req.map === true;
  const streamable = !alpha && detail === 1 && !wantMap;
  const samples = streamable && upscaler.upscaleToSamples ? await upscaler.upscaleToSamples(rgb, uctx, depth) : undefined;
  const out = samples ? undefined : await upscaler.upscale(rgb, uctx);
  progress.progress('infer', 1, 1);
  throwIfCancelled(signal);
  if (out && detail < 1) blendDetail(out, rgb, detail);
  let map: Buffer | undefined;
  if (out && wantMap) {
    const m = hallucinationMap(out, rgb);
    ctx.emit({ type: 'info', message: `hallucination map: ${(m.inferred * 100).toFixed(1)} % mean detail finer than the photo, ${(m.changed * 100).toFixed(2)} % mean difference from it` });
    map = await encodeImage(m.image, { format: 'png', bitDepth: 8 });
  }
  if (learned && !backend) {
    backend = currentBackend();
    if (backend) ctx.emit({ type: 'info', message: `ran on the ${backend} backend`, backend });
  }

  // Alpha is a mask, not a photo: plain bicubic, never a learned model.
  let alphaOut: FloatImage | undefined;
  if (alpha) {
    alphaOut = await getUpscaler('bicubic').upscale(alpha, { scale: req.scale, signal });
    throwIfCancelled(signal);
  }

  progress.progress('encode', 0, 1);
  const found = { meta, ...(backend ? { backend } : {}), ...(cacheHit !== undefined ? { cacheHit } : {}), ...(map ? { map } : {}) };
  if (samples) return { pixels: rasterOf(samples), ...found };
  if (!out) throw new StudioError('E_INTERNAL', `${req.method} returned no image`);
  const data = quantize(out, alphaOut, depth);
  return { pixels: rasterOf({ data, width: out.width, height: out.height, channels: out.channels + (alphaOut ? 1 : 0) }), ...found };
}

/**
 * The job's output ledger, after removing what an earlier attempt of the same job left (any
 * attempt number: a host that died before recording the attempt still left a ledger). Without
 * a job id or a data folder the ledger lives in memory only.
 */
async function openLedger(input: string, ctx: EnhanceContext): Promise<OutputLedger> {
  const dataDir = dataDirOf(ctx.options);
  const file = ctx.options.job && dataDir ? outputLedgerPath(dataDir, ctx.options.job.id) : undefined;
  if (file) {
    const removed = await undoEarlierAttempt(file, [input]);
    if (removed.length) {
      ctx.emit({ type: 'info', message: `removed ${removed.length} file(s) left by an interrupted earlier attempt: ${removed.map((f) => path.basename(f)).join(', ')}` });
    }
  }
  return new OutputLedger(file, [input]);
}

/**
 * The hallucination map beside the main output. Replacing (watched folders): written in place,
 * then recorded (a redo writes the same name anyway). Otherwise under the first free name
 * (`-2`, `-3`...), recorded before it is linked in, never over an existing file.
 */
async function placeMap(wanted: string, bytes: Buffer, o: { input: string; overwrite: boolean; ledger: OutputLedger }): Promise<string> {
  if (o.overwrite) {
    await writeOutput(wanted, bytes, { inputPath: o.input, overwrite: true });
    await o.ledger.placed(wanted);
    return wanted;
  }
  const ext = path.extname(wanted);
  const file = await placeNewBuffer(
    { dir: path.dirname(wanted), base: path.basename(wanted, ext), ext, collision: 'suffix', protect: [o.input], log: o.ledger },
    bytes,
  );
  if (!file) throw new StudioError('E_WOULD_OVERWRITE', `no free file name near ${wanted}`);
  return file;
}

function dataDirOf(options: WorkerRunOptions): string | undefined {
  return options.dataDir ?? (options.presetsDir ? path.dirname(options.presetsDir) : undefined);
}

/** The export presets a request names, looked up before any work (an unknown one fails fast). */
async function resolvePresets(ids: string[] | undefined, options: WorkerRunOptions): Promise<PresetEntry[]> {
  if (!ids?.length) return [];
  const dataDir = dataDirOf(options);
  if (!dataDir) throw new StudioError('E_PRESET_INVALID', 'export presets were asked for, but this run has no studio data folder to read them from');
  const store = createPresetStore(dataDir);
  const out: PresetEntry[] = [];
  for (const id of ids) out.push(await store.find(id));
  return out;
}
