import path from 'node:path';
import type { BackendName, EnhanceRequest } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';
import { currentBackend } from '../engine/backend';
import { getUpscaler } from '../engine/registry';
import type { ModelStore } from '../engine/upscaler';
import { checkOutputSize, decodeImage, encodeImage, freeOutputPath, probeImage, writeOutput } from '../imaging';
import type { WorkerJobEvent, WorkerJobResult, WorkerRunOptions } from '../jobs/worker-protocol';
import { outputFileName, sameFamilyFormat } from './naming';
import { ProgressReporter } from './progress';

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
 * bicubic) -> encode (format, bit depth, ICC, EXIF kept) -> atomic write beside nothing it
 * could replace.
 */
export async function runEnhance(req: EnhanceRequest, ctx: EnhanceContext): Promise<WorkerJobResult> {
  const { signal, options } = ctx;
  const limits = options.limits;
  const progress = new ProgressReporter(ctx.emit);
  const input = path.resolve(req.input);
  const upscaler = getUpscaler(req.method); // an unknown method fails before any file is read

  progress.progress('decode', 0, 1);
  const head = await probeImage(input, limits);
  checkOutputSize(head.width, head.height, req.scale, limits);
  throwIfCancelled(signal);
  const { rgb, alpha, meta } = await decodeImage(input, limits);
  progress.progress('decode', 1, 1);
  throwIfCancelled(signal);

  let backend: BackendName | undefined;
  let cacheHit: boolean | undefined;
  const learned = upscaler.info.family !== 'interpolation';
  progress.progress(learned ? 'train' : 'infer', 0, 1);
  const out = await upscaler.upscale(rgb, {
    scale: req.scale,
    preset: req.preset,
    zssr: req.zssr,
    backend: req.backend,
    store: req.noCache ? undefined : ctx.store,
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
      });
    },
  });
  progress.progress('infer', 1, 1);
  throwIfCancelled(signal);
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
  const format = req.output?.format ?? sameFamilyFormat(meta.format);
  const bytes = await encodeImage(out, {
    format,
    quality: req.output?.quality,
    bitDepth: req.output?.bitDepth ?? meta.bitDepth,
    alpha: alphaOut,
    meta: { icc: meta.icc, exif: meta.exif, xmp: meta.xmp, density: meta.density },
  });
  throwIfCancelled(signal);
  const dir = path.resolve(req.output?.dir ?? options.outputsDir);
  const wanted = path.join(dir, outputFileName(input, req.method, req.scale, format));
  const overwrite = req.output?.overwrite ?? false;
  const file = overwrite ? wanted : await freeOutputPath(wanted);
  await writeOutput(file, bytes, { inputPath: input, overwrite });
  progress.progress('encode', 1, 1);
  ctx.emit({ type: 'output', files: [file] });

  const outputs = [file];
  return {
    outputs,
    ...(backend ? { backend } : {}),
    ...(cacheHit !== undefined ? { cacheHit } : {}),
  };
}
