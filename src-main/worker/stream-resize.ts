import type { EnhanceRequest, OutputFormat } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import { outputSize } from '../engine/upscaler';
import { resizeToBuffer, type ResizeKernel } from '../engine/classical';
import { decodeSamples, outputDepth, rasterOf, type ImageLimits, type ImageMeta, type Raster } from '../imaging';

/**
 * A classical resize from file to output samples without float images: samples in, rows resized
 * straight into the 8/16-bit buffer the main output is encoded from. A 12 MP photo at x4 then
 * needs the 192 MP output once (0.6 GB at 8 bits) instead of a float copy (2.3 GB) plus its
 * quantized twin. Same pixels as the float path (both round once, from the same resampling).
 */
export async function resizeFileToSamples(
  input: string,
  kernel: ResizeKernel,
  req: Pick<EnhanceRequest, 'scale' | 'output'>,
  format: OutputFormat,
  o: { limits?: Partial<ImageLimits>; signal: AbortSignal; onDecoded(): void; onProgress(done: number, total: number): void; onEncoding(): void; onWarning?(message: string): void },
): Promise<{ pixels: Raster; meta: ImageMeta }> {
  const src = await decodeSamples(input, o.limits);
  for (const w of src.meta.warnings ?? []) o.onWarning?.(w);
  o.onDecoded();
  await new Promise<void>((resolve) => setImmediate(resolve)); // let a cancel that came meanwhile land
  if (o.signal.aborted) throw new StudioError('E_CANCELLED', 'cancelled');
  const inMax = src.samples instanceof Uint16Array ? 65535 : 255;
  const depth = outputDepth(format, req.output?.bitDepth, src.meta.bitDepth);
  const outMax = depth === 16 ? 65535 : 255;
  const out = resizeToBuffer(
    { width: src.width, height: src.height, channels: src.channels, data: src.samples },
    outputSize(src.width, src.height, req.scale),
    { kernel, depth, gain: outMax / inMax, signal: o.signal, onProgress: o.onProgress },
  );
  o.onEncoding();
  return { pixels: rasterOf(out), meta: src.meta };
}
