// The `studio` command line: a table of subcommands, each in its own module under commands/.
import { StudioError, toErrorPayload } from '../contract/errors';
import { takeDataDir } from './args';

export interface Command {
  summary: string;
  /** Full --help text. */
  help: string;
  run(argv: string[]): Promise<number>;
}

// name -> lazily loaded module (start-up stays fast; one line per command).
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  enhance: () => import('./commands/enhance'),
  eval: () => import('./commands/eval'),
  models: () => import('./commands/models'),
  watch: () => import('./commands/watch'),
  serve: () => import('./commands/serve'),
  presets: () => import('./commands/presets'),
  cache: () => import('./commands/cache'),
  doctor: () => import('./commands/doctor'),
  train: () => import('./commands/train'),
  worker: () => import('./commands/worker'),
};

async function usage(): Promise<string> {
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length), 8);
  const rows = await Promise.all(
    names.map(async (n) => {
      const summary = await COMMANDS[n]()
        .then((m) => m.command.summary)
        .catch(() => '');
      return `  ${n.padEnd(width)}  ${summary}`.trimEnd();
    }),
  );
  return [
    'Usage: studio <command> [options]',
    '',
    'Loupe Studio: make photos larger and sharper (interpolation, ESRGAN models, ZSSR).',
    '',
    'Commands:',
    ...rows,
    '',
    'Global options:',
    '  --data-dir DIR  studio data folder (default: STUDIO_DATA_DIR, else the user-data folder)',
    '',
    "Run 'studio <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let args: string[];
  try {
    // --data-dir is global: it reaches every command (and the worker processes) through the env.
    const taken = takeDataDir(argv);
    args = taken.argv;
    if (taken.dataDir) process.env.STUDIO_DATA_DIR = taken.dataDir;
  } catch (err) {
    console.error(`studio: ${(err as Error).message}`);
    return 2;
  }
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    console.log(version);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`studio: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // node:util parseArgs complaints (unknown option, missing value) are usage errors too.
    const parseError = typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('ERR_PARSE_ARGS');
    const p = toErrorPayload(err);
    if (parseError || (err instanceof StudioError && p.code === 'E_INVALID_ARGUMENT')) {
      const msg = parseError ? (err as Error).message : p.message;
      console.error(`studio ${name}: ${msg}${msg.includes('Usage:') ? '' : `\nRun 'studio ${name} --help' for the options.`}`);
      return 2;
    }
    console.error(`studio ${name}: ${p.code}: ${p.message}`);
    return 1;
  }
}
