// The built-in "same as the result" output: full size, the result's profile, all metadata, no
// sharpening, named like a job's main output. A plain export (a format, no preset) is this
// output rendered by the same code as every preset's deliverables.
import type { OutputOptions } from '../contract/enhance';
import type { FormatSpec, Preset } from '../contract/presets';
import { jpegOptions } from '../imaging/encode';
import type { InputFormat } from '../imaging';
import { sameFamilyFormat } from './output-name';
import { parsePreset } from './validate';

export const SAME_AS_SOURCE_ID = 'same-as-source';

function formatSpec(output: OutputOptions, resultFormat: InputFormat): FormatSpec {
  const format = output.format ?? sameFamilyFormat(resultFormat);
  const bitDepth = output.bitDepth ?? 'source';
  switch (format) {
    case 'jpeg': {
      const { quality, chromaSubsampling } = jpegOptions(output.quality ?? 92);
      return { format, quality, chromaSubsampling, progressive: false };
    }
    case 'png':
      return { format, bitDepth, compressionLevel: 6 };
    case 'tiff':
      return { format, bitDepth, compression: 'lzw' };
    case 'webp': {
      const quality = output.quality ?? 90;
      return { format, quality, lossless: quality >= 100, effort: 4 };
    }
    case 'avif':
      return { format, quality: output.quality ?? 70, lossless: false, effort: 4 };
  }
}

/** The preset a plain export renders: one image in the asked format (default: the result's own), nothing changed. */
export function sameAsSourcePreset(output: OutputOptions, resultFormat: InputFormat): Preset {
  return parsePreset({
    version: 2,
    id: SAME_AS_SOURCE_ID,
    name: 'Same as the result',
    outputs: [
      {
        kind: 'image',
        format: formatSpec(output, resultFormat),
        size: { mode: 'keep' },
        colour: 'keep',
        metadata: { mode: 'all' },
        sharpen: { target: 'none' },
        naming: { template: '{name}_{method}_x{scale}', subfolder: '', collision: 'suffix' },
      },
    ],
  });
}
