// `studio models`: the methods the engine offers (classical, pretrained, zero-shot, user models),
// and models people bring: `studio models add FILE`, `studio models rm NAME`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ModelInfo } from '../../contract/api';
import { createStudioService } from '../../service';
import { parseCommandLine, usageError } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio models [--json]
       studio models add FILE [--name NAME] [--license-file FILE] [--json]
       studio models rm NAME

List the enhancement methods: their ids (for --method), family, scales, size and licence.

add: import a model file you downloaded: a PyTorch checkpoint (.pth, .pt, .ckpt), .safetensors,
  .onnx, or an ncnn .param (with its .bin beside it). ESRGAN / Real-ESRGAN RRDBNet (both key
  layouts, any scale and size) and Real-ESRGAN compact (SRVGGNetCompact) nets are recognised from
  their weights; ONNX and ncnn files are read as the net they describe. The file is checked
  (nothing in it is ever executed) and kept in the data folder; it becomes the method
  'user:NAME' in every method list.
rm: remove an imported model.

  --name NAME          method name (default: from the file name)
  --license-file FILE  licence text to keep with the model
  --json               machine-readable output
  --data-dir DIR       studio data folder (default: STUDIO_DATA_DIR or the user-data folder)`;

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '' : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** A plain text table, columns padded to their widest cell. */
export function formatModels(models: ModelInfo[]): string {
  const rows = [
    ['ID', 'FAMILY', 'SCALES', 'SIZE', 'NAME'],
    ...models.map((m) => [m.id, m.family, m.scales.map((s) => `x${s}`).join(' '), mb(m.sizeBytes), m.label]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

export const command: Command = {
  summary: 'list the enhancement methods; add or remove models you bring',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandLine(
      argv,
      { json: { type: 'boolean', default: false }, 'data-dir': { type: 'string' }, name: { type: 'string' }, 'license-file': { type: 'string' } },
      HELP,
    );
    const [sub = 'list', ...rest] = positionals;
    if (!['list', 'add', 'rm'].includes(sub)) throw usageError(`unknown subcommand '${sub}'`, HELP);
    if (sub === 'add' && rest.length !== 1) throw usageError('models add takes one model file', HELP);
    if (sub === 'rm' && rest.length !== 1) throw usageError('models rm takes one model name', HELP);
    if (sub === 'list' && rest.length) throw usageError(`unexpected '${rest[0]}'`, HELP);
    const license = values['license-file'] ? await fs.readFile(values['license-file'], 'utf8') : undefined;
    const service = await createStudioService({
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      jobStore: 'memory',
      watch: { autostart: false }, // a one-off command never runs the app's watched folders
    });
    try {
      if (sub === 'add') {
        const m = await service['models.add']({ path: path.resolve(rest[0]), ...(values.name ? { name: values.name } : {}), ...(license ? { license } : {}) });
        if (values.json) console.log(JSON.stringify(m, null, 2));
        else console.log(`added ${m.id}: ${m.description}\n  use it with: studio enhance PHOTO --method ${m.id}`);
        return 0;
      }
      if (sub === 'rm') {
        const removed = await service['models.remove'](rest[0]);
        if (values.json) console.log(JSON.stringify({ removed }));
        else console.log(removed ? `removed ${rest[0]}` : `no imported model named '${rest[0]}'`);
        return removed ? 0 : 1;
      }
      const models = await service['models.list']();
      if (values.json) console.log(JSON.stringify(models, null, 2));
      else {
        console.log(formatModels(models));
        for (const m of models) if (m.license || m.source) console.log(`\n${m.id}: ${m.description}${m.license ? `\n  licence: ${m.license}` : ''}${m.source ? `\n  source: ${m.source}` : ''}`);
      }
      return 0;
    } finally {
      await service.dispose();
    }
  },
};
