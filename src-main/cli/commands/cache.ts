// `studio cache ls|stats|clear`: the per-image model cache (trained ZSSR models).
import type { CacheEntry } from '../../contract/cache';
import { createStudioService } from '../../service';
import { parseCommandLine, usageError } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio cache <ls|stats|clear> [--json] [--data-dir DIR]

The model cache keeps each photo's trained ZSSR network, so enhancing the same photo again
with the same scale and settings skips training (the job says "cache hit"). Entries live in
<data dir>/cache/models; the least recently used are removed above the size cap
(setting cacheMaxMB, default 2048).

  ls                list entries, most recently used first
  stats             number of entries, size and cap
  clear             delete every entry
  --json            machine-readable output
  --data-dir DIR    studio data folder (default: STUDIO_DATA_DIR or the user-data folder)`;

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function formatEntries(entries: CacheEntry[]): string {
  if (!entries.length) return 'The model cache is empty.';
  const rows = [
    ['KEY', 'IMAGE', 'SCALE', 'STEPS', 'LOSS', 'TRAIN', 'BACKEND', 'LAST USED', 'SIZE'],
    ...entries.map((e) => [
      e.key.slice(0, 12),
      e.width && e.height ? `${e.width}x${e.height}` : '',
      e.scale ? `x${e.scale}` : '',
      e.steps !== undefined ? String(e.steps) : '',
      e.finalLoss !== undefined ? e.finalLoss.toFixed(4) : '',
      e.trainMs !== undefined ? `${(e.trainMs / 1000).toFixed(1)} s` : '',
      e.backend ?? '',
      when(e.lastUsed),
      mb(e.bytes),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

export const command: Command = {
  summary: 'list, measure or clear the per-photo model cache (ZSSR)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean', default: false }, 'data-dir': { type: 'string' } }, HELP);
    const sub = positionals[0];
    if (positionals.length !== 1 || !['ls', 'list', 'stats', 'clear'].includes(sub)) throw usageError(`expected one of ls, stats, clear${sub ? `, got '${positionals.join(' ')}'` : ''}`, HELP);
    const service = await createStudioService({ ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}), jobStore: 'memory', watch: { autostart: false } });
    try {
      if (sub === 'ls' || sub === 'list') {
        const entries = await service['cache.list']();
        console.log(values.json ? JSON.stringify(entries, null, 2) : formatEntries(entries));
      } else if (sub === 'stats') {
        const s = await service['cache.stats']();
        console.log(values.json ? JSON.stringify(s, null, 2) : `${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}, ${mb(s.bytes)} of ${mb(s.maxBytes)} in ${s.dir}`);
      } else {
        const r = await service['cache.clear']();
        console.log(values.json ? JSON.stringify(r) : `Removed ${r.removed} entr${r.removed === 1 ? 'y' : 'ies'} (${mb(r.freedBytes)}).`);
      }
      return 0;
    } finally {
      await service.dispose();
    }
  },
};
