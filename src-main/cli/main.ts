// The `studio` command line: a table of subcommands, each in its own module under commands/.
import { StudioError, toErrorPayload } from '../contract/errors';

export interface Command {
  summary: string;
  /** Full --help text. */
  help: string;
  run(argv: string[]): Promise<number>;
}

// name -> lazily loaded module (start-up stays fast; one line per command).
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {};

function usage(): string {
  const rows = Object.keys(COMMANDS).sort();
  return [
    'Usage: studio <command> [options]',
    '',
    'Loupe Studio: make photos larger and sharper (interpolation, ESRGAN models, ZSSR).',
    '',
    'Commands:',
    ...rows.map((r) => `  ${r}`),
    '',
    "Run 'studio <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    console.log(version);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`studio: unknown command '${name}'\n\n${usage()}`);
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
    const p = toErrorPayload(err);
    console.error(`studio ${name}: ${p.code}: ${p.message}`);
    return err instanceof StudioError && p.code === 'E_INVALID_ARGUMENT' ? 2 : 1;
  }
}
