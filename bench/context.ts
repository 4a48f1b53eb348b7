import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchContext {
  /** Folder holding Set5/ and Set14/ (default ../shared/data/sr-benchmark, or --data / STUDIO_BENCH_DATA). */
  dataDir: string;
  /** --quick: fewer images/steps, for a smoke run of the bench itself. */
  quick: boolean;
  /** Scratch folder for this run, removed afterwards. */
  tmpDir: string;
  date: string;
  machine: string;
  log(msg: string): void;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const TIME = '/usr/bin/time';
const STUDIO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'studio.js');

export interface EnhanceRun {
  seconds: number;
  /** Peak RSS of the command's largest process (the worker), from GNU time. */
  peakRssMiB: number;
  /** The one file the command wrote. */
  output: string;
  /** What the command printed on stdout (its JSON lines with --json). */
  stdout: string;
}

/**
 * `studio enhance <photo> <args> --out <out>` as a user runs it, timed, with its peak memory from
 * GNU time; a string saying why when it cannot be measured or fails.
 */
export function timedEnhance(photo: string, args: string[], out: string, dataDir: string): EnhanceRun | string {
  if (!fs.existsSync(TIME)) return 'not measured: /usr/bin/time (GNU time) is missing';
  const t0 = performance.now();
  const r = spawnSync(TIME, ['-f', 'maxrss_kb=%M', process.execPath, STUDIO, 'enhance', photo, ...args, '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, STUDIO_DATA_DIR: dataDir },
    maxBuffer: 1 << 24,
    timeout: 3 * 3600_000,
  });
  const seconds = (performance.now() - t0) / 1000;
  // GNU time's own lines come last; the command's error is the last line before them.
  const said = (r.stderr ?? '').split('\n').filter((l) => l.trim() && !/^(maxrss_kb=|Command (exited|terminated))/.test(l));
  if (r.status !== 0) return `failed: ${said.at(-1) ?? String(r.error ?? r.signal)}`;
  const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { seconds, peakRssMiB: Math.round(kb / 1024), output: path.join(out, fs.readdirSync(out)[0]), stdout: r.stdout ?? '' };
}
