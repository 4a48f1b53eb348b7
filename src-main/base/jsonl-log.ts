// The one append-only JSON-lines journal (jobs, watched folders, a job's placed outputs).
//   - replay: every line is parsed; a torn last line (the process died mid-append, so nobody was
//     told it was stored) is dropped; a damaged line elsewhere is repaired when it can be
//     (`jsonrepair`, then the caller's salvage) and otherwise skipped, and the file as it was is
//     kept aside (damaged-copies.ts) before anything rewrites it;
//   - appends: group commit, every line waiting when a write starts shares one write + fsync;
//   - rewrite: an atomic replacement (compaction), ordered after the appends before it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { jsonrepair } from 'jsonrepair';
import { keepDamagedCopy } from './damaged-copies';
import { readTextIfExists, syncDir, writeFileAtomic } from './durable';
import { CodedError } from './errors';

export interface LineCodec<T> {
  /** A valid record, or undefined. */
  parse(raw: unknown): T | undefined;
  /** What can be kept of a damaged middle line once repaired (e.g. a job without its state). */
  salvage?(raw: unknown): T | undefined;
}

export interface Replay<T> {
  records: T[];
  /** Non-empty lines read. */
  lines: number;
  /** Lines that could not be used (damaged, or a torn tail). */
  skipped: number;
  /** Damaged lines recovered through repair + salvage. */
  salvaged: number;
  tornTail: boolean;
  /** Where the file was kept when it had damaged lines. */
  keptAs?: string;
  /** One line per problem, for the caller's log. */
  problems: string[];
}

/** Replays JSONL text (yielding to the event loop now and then: a big journal must not freeze a window). */
export async function replayLines<T>(text: string, codec: LineCodec<T>, name: string): Promise<Omit<Replay<T>, 'keptAs'>> {
  const rows = text.split('\n');
  const torn = rows.length > 0 && rows[rows.length - 1] !== '';
  const out: Omit<Replay<T>, 'keptAs'> = { records: [], lines: 0, skipped: 0, salvaged: 0, tornTail: false, problems: [] };
  for (let i = 0; i < rows.length; i++) {
    if (i % 500 === 499) await new Promise<void>((r) => setImmediate(r));
    const row = rows[i];
    if (!row.trim()) continue;
    out.lines++;
    let rec: T | undefined;
    try {
      rec = codec.parse(JSON.parse(row));
    } catch {
      // fall through
    }
    if (rec !== undefined) {
      out.records.push(rec);
      continue;
    }
    if (torn && i === rows.length - 1) {
      out.skipped++;
      out.tornTail = true;
      out.problems.push(`${name}: ignored a torn last line (the process stopped mid-write)`);
      continue;
    }
    const fixed = salvageLine(row, codec);
    if (fixed !== undefined) {
      out.records.push(fixed);
      out.salvaged++;
      out.problems.push(`${name}: recovered what damaged line ${i + 1} still held`);
    } else {
      out.skipped++;
      out.problems.push(`${name}: skipped damaged line ${i + 1}`);
    }
  }
  return out;
}

function salvageLine<T>(row: string, codec: LineCodec<T>): T | undefined {
  if (!codec.salvage) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(row);
  } catch {
    try {
      raw = JSON.parse(jsonrepair(row));
    } catch {
      return undefined;
    }
  }
  try {
    return codec.parse(raw) ?? codec.salvage(raw);
  } catch {
    return undefined;
  }
}

interface Pending {
  text: string;
  sync: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

export interface JsonlLogOptions<T> {
  file: string;
  codec: LineCodec<T>;
  /** Open the file for appends only with the first append (logs that often stay empty). */
  lazy?: boolean;
  /**
   * Checked after each group commit: the lines to rewrite the file with (compaction), or
   * undefined to leave it. `lines` counts the lines in the file now.
   */
  compaction?(lines: number): Iterable<string> | undefined;
}

export class JsonlLog<T> {
  readonly file: string;
  private fh: fs.FileHandle | undefined;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private rewriteWanted: (() => Iterable<string>) | undefined;
  private closed = false;
  private lineCount = 0;
  /** fsync count, lines and time spent writing, for benchmarks. */
  readonly perf = { syncs: 0, records: 0, ms: 0, rewrites: 0 };

  constructor(private readonly opts: JsonlLogOptions<T>) {
    this.file = opts.file;
  }

  /** Lines in the file now (after replay, appends and rewrites). */
  get lines(): number {
    return this.lineCount;
  }

  /** Reads and replays the file (creating its folder); a damaged file is kept aside. */
  async open(): Promise<Replay<T>> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const text = (await readTextIfExists(this.file)) ?? '';
    const r: Replay<T> = await replayLines(text, this.opts.codec, `journal ${this.file}`);
    const damagedMiddle = r.skipped - (r.tornTail ? 1 : 0) + r.salvaged > 0;
    if (damagedMiddle) r.keptAs = await keepDamagedCopy(this.file, text).catch(() => undefined);
    this.lineCount = r.lines;
    if (!this.opts.lazy) await this.openForAppend();
    return r;
  }

  private async openForAppend(): Promise<fs.FileHandle> {
    if (!this.fh) {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      this.fh = await fs.open(this.file, 'a');
      await syncDir(path.dirname(this.file)); // the journal's own name must outlive a power loss too
    }
    return this.fh;
  }

  /** Appends one line (JSON text, without the newline); resolves once it is written (and fsynced with `sync`). */
  append(line: string, sync = true): Promise<void> {
    if (this.closed) return Promise.reject(new CodedError('E_INTERNAL', `journal ${this.file} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text: `${line}\n`, sync, resolve, reject });
      this.kick();
    });
  }

  /** Replaces the file atomically with `lines()` after the appends queued before this call. */
  rewrite(lines: () => Iterable<string>): Promise<void> {
    if (this.closed) return Promise.reject(new CodedError('E_INTERNAL', `journal ${this.file} is closed`));
    this.rewriteWanted = lines;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text: '', sync: false, resolve, reject });
      this.kick();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.pending.length) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        const text = batch.map((b) => b.text).join('');
        if (text) {
          const t0 = performance.now();
          const fh = await this.openForAppend();
          await fh.write(text);
          if (batch.some((b) => b.sync)) {
            await fh.datasync();
            this.perf.syncs++;
          }
          const n = batch.filter((b) => b.text).length;
          this.lineCount += n;
          this.perf.records += n;
          this.perf.ms += performance.now() - t0;
        }
        const wanted = this.rewriteWanted ?? (() => this.opts.compaction?.(this.lineCount));
        this.rewriteWanted = undefined;
        const lines = wanted();
        if (lines) await this.replace(lines);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }

  private async replace(lines: Iterable<string>): Promise<void> {
    let body = '';
    let n = 0;
    for (const l of lines) {
      body += `${l}\n`;
      n++;
    }
    await this.fh?.close();
    this.fh = undefined;
    await writeFileAtomic(this.file, body);
    this.lineCount = n;
    this.perf.rewrites++;
    if (!this.opts.lazy) await this.openForAppend();
  }
}
