import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileFilter } from './filter';

// Sees files arrive in a source folder: chokidar events (after write-finish detection), a full
// scan on start and every `rescanMs` (a safety net for events the OS dropped or a network share
// never sent), and a presence check that notices the folder disappearing or coming back.

export type FileSeen = { abs: string; size: number; mtimeMs: number; via: 'event' | 'scan' };

export interface SourceWatcherHandlers {
  file(f: FileSeen): void;
  unlink(abs: string): void;
  /** The folder vanished or became unreadable; events stop until `back`. */
  missing(reason: string): void;
  back(): void;
  /** Initial scan finished (every file present at start was reported). */
  scanned(files: FileSeen[]): void;
  error(err: Error): void;
}

export interface SourceWatcherOptions {
  recursive: boolean;
  stableMs: number;
  presenceMs?: number;
  rescanMs?: number;
}

export class SourceWatcher {
  private fsw: FSWatcher | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  /** undefined until the first check. */
  private present: boolean | undefined;
  private identity: string | undefined;
  private stopped = true;
  private checking = false;

  constructor(
    readonly source: string,
    private readonly filter: FileFilter,
    private readonly opts: SourceWatcherOptions,
    private readonly on: SourceWatcherHandlers,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.present = undefined;
    await this.checkPresence();
    this.presenceTimer = setInterval(() => void this.checkPresence(), this.opts.presenceMs ?? 1000);
    this.presenceTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.presenceTimer);
    this.presenceTimer = undefined;
    await this.closeWatcher();
  }

  /** Checks the folder now; called on a timer and when chokidar reports trouble. */
  async checkPresence(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const problem = await folderProblem(this.source);
      if (this.stopped) return;
      // Deleted and recreated between two checks: the old watcher sees a dead inode; reopen.
      const id = problem === undefined ? await folderIdentity(this.source) : undefined;
      if (problem === undefined && this.present === true && id !== this.identity) {
        await this.closeWatcher();
        this.present = undefined;
      }
      this.identity = id;
      if (problem !== undefined && this.present !== false) {
        this.present = false;
        await this.closeWatcher();
        this.on.missing(problem);
      } else if (problem === undefined && this.present !== true) {
        const wasMissing = this.present === false;
        this.present = true;
        if (wasMissing) this.on.back();
        await this.openWatcher();
      }
    } catch (err) {
      this.on.error(err as Error);
    } finally {
      this.checking = false;
    }
  }

  private async openWatcher(): Promise<void> {
    const { filter } = this;
    const fsw = chokidarWatch(this.source, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      ...(this.opts.recursive ? {} : { depth: 0 }),
      awaitWriteFinish: { stabilityThreshold: this.opts.stableMs, pollInterval: Math.min(100, this.opts.stableMs) },
      // Called with and without stats: without, only names are judged (no wrong guess at a kind).
      ignored: (p: string, stats?: Stats) => {
        if (p === this.source) return false;
        if (stats?.isDirectory()) return !filter.dir(p);
        if (stats?.isFile()) return !filter.file(p);
        return !filter.dir(p) && !filter.file(p) && !this.maybeDir(p);
      },
    });
    this.fsw = fsw;
    const report = (abs: string, stats?: Stats) => {
      if (!filter.file(abs)) return;
      if (stats) this.on.file({ abs, size: stats.size, mtimeMs: stats.mtimeMs, via: 'event' });
      else
        void fs.stat(abs).then(
          (s) => s.isFile() && this.on.file({ abs, size: s.size, mtimeMs: s.mtimeMs, via: 'event' }),
          () => undefined,
        );
    };
    fsw.on('add', report);
    fsw.on('change', report);
    fsw.on('unlink', (abs) => this.on.unlink(abs));
    fsw.on('unlinkDir', (abs) => {
      if (abs === this.source) void this.checkPresence();
    });
    fsw.on('error', (err) => {
      this.on.error(err as Error);
      void this.checkPresence();
    });
    await new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    // Scan after chokidar is ready: a file arriving in between is seen twice, never zero times.
    const files = await this.scan();
    if (!this.stopped && this.fsw === fsw) this.on.scanned(files);
    this.armRescan();
  }

  private armRescan(): void {
    clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      if (this.stopped || !this.fsw) return;
      this.scan()
        .then((files) => {
          if (!this.stopped && this.fsw) for (const f of files) this.on.file(f);
        })
        .catch((err) => this.on.error(err as Error))
        .finally(() => this.armRescan());
    }, this.opts.rescanMs ?? 120_000);
    this.rescanTimer.unref();
  }

  /** A name without an extension may be a folder: let chokidar look (filter.dir judges it then). */
  private maybeDir(p: string): boolean {
    return this.opts.recursive && path.extname(p) === '';
  }

  private async closeWatcher(): Promise<void> {
    clearTimeout(this.rescanTimer);
    const fsw = this.fsw;
    this.fsw = undefined;
    await fsw?.close();
  }

  /** Every file the filter accepts, with its size and mtime. */
  async scan(): Promise<FileSeen[]> {
    const out: FileSeen[] = [];
    const walk = async (dir: string): Promise<void> => {
      let names;
      try {
        names = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return; // vanished or unreadable sub-folder: the presence check handles the root
      }
      for (const d of names) {
        const abs = path.join(dir, d.name);
        if (d.isDirectory()) {
          if (this.filter.dir(abs)) await walk(abs);
        } else if (d.isFile() && this.filter.file(abs)) {
          const s = await fs.stat(abs).catch(() => undefined);
          if (s) out.push({ abs, size: s.size, mtimeMs: s.mtimeMs, via: 'scan' });
        }
      }
    };
    await walk(this.source);
    return out;
  }
}

/** Why the folder cannot be watched, or undefined when it can. */
async function folderProblem(dir: string): Promise<string | undefined> {
  try {
    const s = await fs.stat(dir);
    if (!s.isDirectory()) return `${dir} is not a folder`;
    await fs.access(dir, fs.constants.R_OK | fs.constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `source folder ${dir} is missing`;
    if (code === 'EACCES' || code === 'EPERM') return `source folder ${dir} is not readable`;
    return `source folder ${dir} cannot be read (${code ?? String(err)})`;
  }
}

async function folderIdentity(dir: string): Promise<string | undefined> {
  const s = await fs.stat(dir).catch(() => undefined);
  return s ? `${s.dev}:${s.ino}` : undefined;
}
