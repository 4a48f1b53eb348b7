// `studio models`: the methods the engine offers (classical, pretrained, zero-shot, user models).
import type { ModelInfo } from '../../contract/api';
import { createStudioService } from '../../service';
import { parseCommandLine } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio models [--json]

List the enhancement methods: their ids (for --method), family, scales, size and licence.

  --json            the list as JSON
  --data-dir DIR    studio data folder (default: STUDIO_DATA_DIR or the user-data folder)`;

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
  summary: 'list the enhancement methods and models',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandLine(argv, { json: { type: 'boolean', default: false }, 'data-dir': { type: 'string' } }, HELP);
    const service = await createStudioService({
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      jobStore: 'memory',
    });
    try {
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
