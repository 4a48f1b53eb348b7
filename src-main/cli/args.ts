import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StudioError } from '../contract/errors';
import { QueueSetting } from '../contract/farm';
import { redisConnection } from '../jobs/farm/connection';

/** A usage error: main() prints it and exits with code 2. */
export function usageError(message: string, help?: string): StudioError {
  return new StudioError('E_INVALID_ARGUMENT', help ? `${message}\n\n${help}` : message);
}

type Options = NonNullable<ParseArgsConfig['options']>;
export type ParsedCommandLine<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** node:util parseArgs whose complaints (unknown option, missing value) are usage errors. */
export function parseCommandLine<T extends Options>(argv: string[], options: T, help?: string): ParsedCommandLine<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message, help);
  }
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** `--name value` as a number within bounds, or a usage error that says what was wrong. */
export function parseNumber(name: string, value: string | undefined, rule: NumberRule = {}, help?: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const bad = !value.trim() || !Number.isFinite(n) || (rule.integer && !Number.isInteger(n));
  if (bad) throw usageError(`--${name} must be ${rule.integer ? 'a whole number' : 'a number'}, got '${value}'`, help);
  if (rule.min !== undefined && n < rule.min) throw usageError(`--${name} must be at least ${rule.min}, got ${n}`, help);
  if (rule.max !== undefined && n > rule.max) throw usageError(`--${name} must be at most ${rule.max}, got ${n}`, help);
  return n;
}

/** A value among `choices`, or a usage error listing them. */
export function parseChoice<C extends string>(name: string, value: string | undefined, choices: readonly C[], help?: string): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw usageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`, help);
  return value as C;
}

/**
 * Takes the global `--data-dir DIR` (or `--data-dir=DIR`) out of argv, wherever it is, and
 * returns the remaining arguments with the folder (absolute) if one was given.
 */
export function takeDataDir(argv: string[]): { argv: string[]; dataDir?: string } {
  const rest: string[] = [];
  let dataDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--data-dir') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw usageError('--data-dir needs a folder');
      dataDir = path.resolve(v);
      i++;
    } else if (a.startsWith('--data-dir=')) {
      dataDir = path.resolve(a.slice('--data-dir='.length));
    } else rest.push(a);
  }
  return dataDir ? { argv: rest, dataDir } : { argv: rest };
}

/** The --queue options' help, its descriptions starting at `column` like the command's own. */
export function queueHelp(column: number): string {
  const rows: [string, string[]][] = [
    ['--queue URL', ['run jobs on a farm: redis://user:password@host:port, or rediss:// for', 'TLS (see docs/farm.md; the password may come from STUDIO_REDIS_PASSWORD)']],
    ['--queue-prefix P', ["the farm's key prefix in Redis (default studio)"]],
    ['--insecure', ['allow a Redis on another machine without a password']],
  ];
  return rows.map(([flag, lines]) => lines.map((l, i) => `${i ? '' : `  ${flag}`}`.padEnd(column) + l).join('\n')).join('\n');
}

/**
 * Takes `--queue URL`, `--queue-prefix P` and `--insecure` out of argv (serve, watch, enhance and
 * worker share them); the URL is checked (and a credential-less remote one refused) here.
 */
export function takeQueue(argv: string[]): { argv: string[]; queue?: QueueSetting } {
  const rest: string[] = [];
  let url: string | undefined;
  let prefix: string | undefined;
  let insecure = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--queue' || flag === '--queue-prefix') {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw usageError(`${flag} needs a value`);
      if (flag === '--queue') url = v;
      else prefix = v;
    } else if (a === '--insecure') insecure = true;
    else rest.push(a);
  }
  if (url === undefined) {
    if (prefix !== undefined || insecure) throw usageError('--queue-prefix and --insecure go with --queue');
    return { argv: rest };
  }
  const parsed = QueueSetting.safeParse({ kind: 'redis', url, ...(prefix ? { prefix } : {}), ...(insecure ? { insecure } : {}) });
  if (!parsed.success) throw usageError(`--queue: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
  if (parsed.data.kind === 'redis') redisConnection(parsed.data); // refuses a remote Redis without credentials
  return { argv: rest, queue: parsed.data };
}
