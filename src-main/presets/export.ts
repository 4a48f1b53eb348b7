// exportWithPreset: every deliverable of a preset from one enhanced image, in one call.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CLASSICAL_METHODS, type EnhanceRequest } from '../contract/enhance';
import { StudioError } from '../contract/errors';
import type { FloatImage } from '../contract/image';
import type { ImageOutput, Preset, SidecarOutput } from '../contract/presets';
import type { ImageMeta } from '../imaging';
import { COLOUR_LABEL } from '../imaging/render/colour';
import { iccDescription } from '../metadata/icc';
import { exifFromTiff } from '../metadata/exif';
import { renderFileBase, renderSubfolder, type NamingContext } from './naming';
import { writeNewFileDurable } from '../base/durable';
import { placeNewBuffer, placeNewFile, wouldSkip, type PlacementLog, type PlaceOptions } from './place';
import { floatRenderSource } from '../imaging/render/source';
import { EXTENSION, outputBitDepth, renderOutput, type RenderSource } from '../imaging/render/deliverable';
import { provenanceJson, provenanceXmp, type Provenance, type ProvenanceOutput } from './sidecar';
import { targetSize } from '../imaging/render/sizing';
import { writeTiffExif } from '../metadata/tiff-exif';
import { parsePreset } from './validate';

export type ExportMeta = Pick<ImageMeta, 'format' | 'bitDepth'> & Partial<Pick<ImageMeta, 'width' | 'height' | 'icc' | 'exif' | 'xmp' | 'density'>>;

/** The enhanced image: float pixels (upright, in the original's colour space), or a render source such as a job's result file. */
type EnhancedPixels = { rgb: FloatImage; alpha?: FloatImage } | { render: RenderSource };

export type ExportSource = EnhancedPixels & {
  /** The original's metadata (decodeImage's meta); its EXIF is preferred to the render source's. */
  meta: ExportMeta;
  sourcePath: string;
  /** sha256 of the original file; computed when missing. */
  sourceHash?: string;
  method: string;
  scale: number;
  backend?: string;
  settings?: Record<string, unknown>;
};

export interface ExportOptions {
  /** Folder the naming templates are relative to. */
  outRoot: string;
  /**
   * For {date} in names (and the sidecar's date unless madeAt is given); default now. A job
   * passes its creation time, so a redo after midnight still gives the same names.
   */
  date?: Date;
  /** For {seq}; default 1. A job passes its number in the queue (the same on every attempt). */
  seq?: number;
  /** When the files were made, for the provenance sidecar; default `date`. */
  madeAt?: Date;
  /** Hears of every file before it is placed (the job's output ledger). */
  log?: PlacementLog;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Replace files of the same name (never the original) instead of taking the next free name. */
  replace?: boolean;
  /**
   * The file name (with extension) of the preset's image output instead of its template: a
   * job's main output keeps its result name, `<photo>_<method>_x<scale>.<ext>`.
   */
  fileName?: string;
  /** Something was delivered with less than asked (e.g. TIFF EXIF could not be written). */
  onWarning?: (message: string) => void;
}

export async function sha256File(file: string): Promise<string | undefined> {
  try {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
    return h.digest('hex');
  } catch {
    return undefined;
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function isAiMethod(method: string): boolean {
  return !(CLASSICAL_METHODS as readonly string[]).includes(method);
}

/**
 * The settings that shaped a result, for its provenance: an interpolation has none (the quality
 * preset and the ZSSR keys a request carries by default do nothing to it).
 */
export function processingSettings(req: Pick<EnhanceRequest, 'method' | 'preset' | 'zssr' | 'detail'>): Record<string, unknown> {
  if (!isAiMethod(req.method)) return {};
  return { ...(req.preset ? { preset: req.preset } : {}), ...(req.zssr ? { zssr: req.zssr } : {}), ...(req.detail !== undefined ? { detail: req.detail } : {}) };
}

/** EXIF of the original: from decodeImage, or read from a TIFF original directly. */
async function sourceExif(src: ExportSource): Promise<Buffer | undefined> {
  if (src.meta.exif?.length) return src.meta.exif;
  if (src.meta.format !== 'tiff') return undefined;
  try {
    return exifFromTiff(await fs.readFile(src.sourcePath));
  } catch {
    return undefined;
  }
}

async function renderSource(src: ExportSource): Promise<RenderSource> {
  const exif = await sourceExif(src);
  if ('render' in src) return { ...src.render, ...(exif ? { exif } : {}) };
  return floatRenderSource(src.rgb, src.alpha, { ...src.meta, exif });
}

function describeMetadata(o: ImageOutput): string {
  return o.metadata.mode;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('E_CANCELLED', 'export cancelled');
}

/**
 * Writes every output of `preset` for one enhanced image under opts.outRoot and returns the
 * paths written (images, then sidecars). Each file appears atomically under a name that was
 * free (originals and existing files are never replaced); if any output fails, the files this
 * call already wrote are removed again.
 */
export async function exportWithPreset(src: ExportSource, presetIn: Preset, opts: ExportOptions): Promise<string[]> {
  const preset = parsePreset(presetIn);
  const date = opts.date ?? new Date();
  const seq = opts.seq ?? 1;
  const rs = await renderSource(src);
  const name = path.basename(src.sourcePath, path.extname(src.sourcePath));
  const protect = [src.sourcePath];
  const images = preset.outputs.filter((o): o is ImageOutput => o.kind === 'image');
  const sidecars = preset.outputs.filter((o): o is SidecarOutput => o.kind === 'sidecar');
  const total = images.length + sidecars.length;
  const written: string[] = [];
  const delivered: { output: ImageOutput; record: ProvenanceOutput; base: string; dir: string }[] = [];
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };

  const ctxFor = (w: number, h: number): NamingContext => ({
    name,
    client: preset.client,
    preset: preset.id,
    method: src.method,
    scale: src.scale,
    date,
    seq,
    w,
    h,
  });

  try {
    let done = 0;
    for (const out of images) {
      checkAbort(opts.signal);
      const size = targetSize(rs.width, rs.height, out.size);
      const ctx = ctxFor(size.width, size.height);
      const place: PlaceOptions = {
        dir: path.join(opts.outRoot, renderSubfolder(out.naming.subfolder, ctx)),
        base: opts.fileName ? path.basename(opts.fileName, path.extname(opts.fileName)) : renderFileBase(out.naming.template, ctx),
        ext: opts.fileName ? path.extname(opts.fileName) : EXTENSION[out.format.format],
        collision: opts.replace ? 'replace' : out.naming.collision,
        protect,
        log: opts.log,
      };
      if (!(await wouldSkip(place))) {
        const r = await renderOutput(rs, out);
        checkAbort(opts.signal); // cancelled while it rendered: nothing is placed
        const file = await placeNewFile(place, async (tmp) => {
          await writeNewFileDurable(tmp, r.buffer);
          if (r.tiffExif) {
            try {
              await writeTiffExif(tmp, r.tiffExif);
            } catch (err) {
              warn(`${path.basename(place.base)}${place.ext}: written without EXIF (${(err as Error).message})`);
            }
          }
        });
        if (file) {
          written.push(file);
          const bytes = r.tiffExif ? await fs.readFile(file) : r.buffer;
          delivered.push({
            output: out,
            dir: path.dirname(file),
            base: path.basename(file, path.extname(file)),
            record: {
              path: file,
              sha256: sha256(bytes),
              format: out.format.format,
              width: r.width,
              height: r.height,
              bitDepth: outputBitDepth(out.format, rs.bitDepth),
              ...(r.ppi ? { ppi: r.ppi } : {}),
              ...(r.profile ? { profile: r.profile } : out.colour !== 'keep' ? { profile: COLOUR_LABEL[out.colour] } : {}),
              metadata: describeMetadata(out),
              ...(out.label ? { label: out.label } : {}),
            },
          });
        }
      }
      opts.onProgress?.(++done, total);
    }

    if (sidecars.length) {
      const first = images[0];
      const provenance: Provenance = {
        source: {
          path: path.resolve(src.sourcePath),
          name: path.basename(src.sourcePath),
          ...(src.sourceHash ? { sha256: src.sourceHash } : {}),
          width: src.meta.width ?? Math.round(rs.width / src.scale),
          height: src.meta.height ?? Math.round(rs.height / src.scale),
          format: src.meta.format,
          bitDepth: src.meta.bitDepth,
          ...(iccDescription(src.meta.icc) ? { profile: iccDescription(src.meta.icc) } : {}),
        },
        method: src.method,
        model: typeof src.settings?.model === 'string' ? src.settings.model : isAiMethod(src.method) ? src.method : undefined,
        aiEnhanced: isAiMethod(src.method),
        scale: src.scale,
        backend: src.backend,
        settings: src.settings,
        preset: { id: preset.id, name: preset.name, ...(preset.client ? { client: preset.client } : {}) },
        date: opts.madeAt ?? date,
        copyright: first?.metadata.copyright,
        creator: first?.metadata.creator,
      };
      if (!provenance.source.sha256) {
        const h = await sha256File(src.sourcePath);
        if (h) provenance.source.sha256 = h;
      }
      for (const sc of sidecars) {
        checkAbort(opts.signal);
        if (sc.json) {
          const ctx = ctxFor(rs.width, rs.height);
          const dir = path.join(opts.outRoot, renderSubfolder(sc.naming.subfolder, ctx));
          const body = provenanceJson(
            provenance,
            delivered.map((d) => d.record),
            dir,
            warnings,
          );
          const file = await placeNewBuffer({ dir, base: renderFileBase(sc.naming.template, ctx), ext: '.json', collision: sc.naming.collision, protect, log: opts.log }, body);
          if (file) written.push(file);
        }
        if (sc.xmp) {
          for (const d of delivered) {
            const file = await placeNewBuffer({ dir: d.dir, base: d.base, ext: '.xmp', collision: sc.naming.collision, protect, log: opts.log }, provenanceXmp(provenance, d.record));
            if (file) written.push(file);
          }
        }
        opts.onProgress?.(++done, total);
      }
    }
    return written;
  } catch (err) {
    await Promise.all(written.map((f) => fs.rm(f, { force: true })));
    if (err instanceof StudioError) throw err;
    throw new StudioError('E_INTERNAL', `export with preset '${preset.name}' failed: ${(err as Error).message}`);
  }
}
