// The presets block of StudioApi, for the service to compose.
import type { StudioApi } from '../contract/api';
import type { FormatSpec, ImageOutput, Preset, PresetOutput, PresetSummary, SizeSpec } from '../contract/presets';
import { COLOUR_LABEL } from '../imaging/render/colour';
import { createPresetStore, type PresetStore } from './store';

export type PresetsApi = Pick<StudioApi, 'presets.list' | 'presets.get' | 'presets.save' | 'presets.delete' | 'presets.import' | 'presets.export'>;

export interface PresetsApiDeps {
  /** Where presets.json lives (used when no store is given). */
  dataDir: string;
  store?: PresetStore;
}

function formatLabel(f: FormatSpec): string {
  switch (f.format) {
    case 'jpeg':
      return `JPEG q${f.quality}`;
    case 'png':
      return `PNG ${f.bitDepth === 'source' ? 'source-depth' : `${f.bitDepth}-bit`}`;
    case 'webp':
      return f.lossless ? 'WebP lossless' : `WebP q${f.quality}`;
    case 'avif':
      return f.lossless ? 'AVIF lossless' : `AVIF q${f.quality}`;
    case 'tiff':
      return `TIFF ${f.bitDepth === 'source' ? 'source-depth' : `${f.bitDepth}-bit`} ${f.compression === 'none' ? 'uncompressed' : f.compression.toUpperCase()}`;
  }
}

function sizeLabel(s: SizeSpec): string {
  switch (s.mode) {
    case 'keep':
      return 'full size';
    // Without `enlarge` a smaller image is delivered at its own size: the label says so.
    case 'longEdge':
      return `long edge ${s.enlarge ? '' : 'at most '}${s.px} px`;
    case 'fit':
      return `fit ${s.enlarge ? '' : 'at most '}${s.width}x${s.height} px`;
    case 'percent':
      return `${s.percent}%`;
    case 'print': {
      const dims = [s.width, s.height].map((v) => (v === undefined ? '*' : String(v))).join('x');
      return `print ${dims} ${s.unit} at ${s.ppi} ppi`;
    }
  }
}

/** 'JPEG q85, long edge at most 2048 px, sRGB' */
export function describeOutput(o: PresetOutput): string {
  if (o.kind === 'sidecar') return `provenance sidecar (${[o.json ? 'JSON' : '', o.xmp ? 'XMP' : ''].filter(Boolean).join(' + ')})`;
  const img: ImageOutput = o;
  const parts = [formatLabel(img.format), sizeLabel(img.size), COLOUR_LABEL[img.colour]];
  if (img.watermark.enabled) parts.push('watermark');
  return `${img.label ? `${img.label}: ` : ''}${parts.join(', ')}`;
}

export function summarize(preset: Preset, builtin: boolean): PresetSummary {
  return {
    id: preset.id,
    name: preset.name,
    ...(preset.client ? { client: preset.client } : {}),
    ...(preset.description ? { description: preset.description } : {}),
    builtin,
    outputs: preset.outputs.map(describeOutput),
  };
}

export function createPresetsApi(deps: PresetsApiDeps): PresetsApi {
  const store = deps.store ?? createPresetStore(deps.dataDir);
  return {
    'presets.list': async () => (await store.list()).map((e) => summarize(e.preset, e.builtin)),
    'presets.get': async (id) => (await store.get(id)).preset,
    'presets.save': (preset) => store.save(preset),
    'presets.delete': (id) => store.delete(id),
    'presets.import': (text) => store.import(text),
    'presets.export': (ids) => store.export(ids),
  };
}
