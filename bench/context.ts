import os from 'node:os';

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
