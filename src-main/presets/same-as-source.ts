// The built-in "same as the result" output: full size, the result's profile, all metadata, no
// sharpening, named like a job's main output. A job's main output and a plain export (a
// format, no preset) are this output, rendered by the same code as every preset's deliverables.
import type { OutputOptions } from '../contract/enhance';
import type { Preset } from '../contract/presets';
import type { InputFormat } from '../imaging';
import { plainOutput } from '../imaging/render/plain';
import { sameFamilyFormat } from './output-name';
import { parsePreset } from './validate';

export const SAME_AS_SOURCE_ID = 'same-as-source';

/** The preset a plain export renders: one image in the asked format (default: the result's own), nothing changed. */
export function sameAsSourcePreset(output: OutputOptions, resultFormat: InputFormat): Preset {
  return parsePreset({
    version: 2,
    id: SAME_AS_SOURCE_ID,
    name: 'Same as the result',
    outputs: [
      {
        kind: 'image',
        ...plainOutput(output.format ?? sameFamilyFormat(resultFormat), output),
        naming: { template: '{name}_{method}_x{scale}', subfolder: '', collision: 'suffix' },
      },
    ],
  });
}
