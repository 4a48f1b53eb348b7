// `studio presets ls|show|import|export|rm`: export presets (process recipes) from the terminal.
import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../contract/errors';
import type { Preset } from '../../contract/presets';
import { writeFileAtomic } from '../../base/durable';
import { createPresetStore, describeOutput, type PresetStore } from '../../presets';
import { resolveDataDir } from '../../service/data-dir';
import { parseCommandLine, usageError } from '../args';
import type { Command } from '../main';

const HELP = `Usage: studio presets <ls|show|import|export|rm> [options]

Export presets: one preset writes one or more deliverables (web JPEG, print TIFF, provenance
sidecar...) from each enhanced photo. Use them with 'studio enhance ... --preset NAME'.

  studio presets ls [--json]                 built-in and your presets
  studio presets show NAME [--json]          one preset (NAME = id or name); --json prints it as a file
  studio presets import FILE.json...         add presets from .json files (all or nothing per file)
  studio presets export [NAME...] [-o FILE]  your presets (or the named ones) as .json, to stdout or FILE
  studio presets rm ID                       delete one of your presets

Options:
  --json            machine-readable output
  -o, --out FILE    where export writes (refuses to replace an existing file unless --force)
  --force           let export replace FILE
  --data-dir DIR    studio data folder (default: STUDIO_DATA_DIR or the user-data folder)`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

function showText(p: Preset, builtin: boolean): string {
  const lines = [`${p.name}  (${p.id}${builtin ? ', built-in' : ''})`];
  if (p.client) lines.push(`client: ${p.client}`);
  if (p.description) lines.push(p.description);
  p.outputs.forEach((o, i) => {
    lines.push(`  ${i + 1}. ${describeOutput(o)}`);
    const folder = o.naming.subfolder ? `${o.naming.subfolder}/` : '';
    lines.push(`     name: ${folder}${o.naming.template}  (on collision: ${o.naming.collision})`);
    if (o.kind === 'image') {
      const md = o.metadata;
      lines.push(`     metadata: ${md.mode}${md.copyright ? `, copyright "${md.copyright}"` : ''}${md.creator ? `, creator "${md.creator}"` : ''}; sharpening: ${o.sharpen.target}`);
    }
  });
  return lines.join('\n');
}

async function runLs(store: PresetStore, json: boolean): Promise<number> {
  const entries = await store.list();
  if (json) {
    console.log(JSON.stringify(entries.map((e) => ({ ...e.preset, builtin: e.builtin })), null, 2));
  } else {
    const rows = [['ID', 'KIND', 'OUTPUTS', 'NAME'], ...entries.map((e) => [e.preset.id, e.builtin ? 'built-in' : 'user', String(e.preset.outputs.length), e.preset.name])];
    console.log(table(rows));
  }
  for (const w of store.warnings()) console.error(`warning: ${w}`);
  return 0;
}

export const command: Command = {
  summary: 'list, show, import and export export presets',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        json: { type: 'boolean', default: false },
        out: { type: 'string', short: 'o' },
        force: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
      },
      HELP,
    );
    const [sub, ...args] = positionals;
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : resolveDataDir();
    const store = createPresetStore(dataDir);
    switch (sub) {
      case 'ls':
      case 'list':
        return runLs(store, values.json);
      case 'show': {
        if (args.length !== 1) throw usageError('show needs one preset id or name', HELP);
        const e = await store.find(args[0]);
        console.log(values.json ? JSON.stringify(e.preset, null, 2) : showText(e.preset, e.builtin));
        return 0;
      }
      case 'import': {
        if (args.length === 0) throw usageError('import needs at least one .json file', HELP);
        for (const file of args) {
          let text: string;
          try {
            text = await fs.readFile(file, 'utf8');
          } catch (err) {
            throw new StudioError('E_FILE_NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`, { path: file });
          }
          let imported: Preset[];
          try {
            imported = await store.import(text);
          } catch (err) {
            if (err instanceof StudioError) throw new StudioError(err.code, `${file}: ${err.message}`, err.details);
            throw err;
          }
          for (const p of imported) console.log(`imported ${p.id}  ${p.name}`);
        }
        return 0;
      }
      case 'export': {
        const ids = await Promise.all(args.map(async (a) => (await store.find(a)).preset.id));
        const text = await store.export(ids);
        if (!values.out) {
          process.stdout.write(text);
          return 0;
        }
        const exists = await fs.stat(values.out).then(
          () => true,
          () => false,
        );
        if (exists && !values.force) throw new StudioError('E_WOULD_OVERWRITE', `${values.out} exists; pass --force to replace it`, { path: values.out });
        await writeFileAtomic(values.out, text);
        console.error(`wrote ${values.out}`);
        return 0;
      }
      case 'rm':
      case 'delete': {
        if (args.length !== 1) throw usageError('rm needs one preset id', HELP);
        const removed = await store.delete(args[0]);
        if (!removed) throw new StudioError('E_NOT_FOUND', `no user preset with id '${args[0]}'`, { id: args[0] });
        console.log(`deleted ${args[0]}`);
        return 0;
      }
      default:
        throw usageError(sub ? `unknown presets command '${sub}'` : 'which presets command?', HELP);
    }
  },
};
