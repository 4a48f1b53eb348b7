import fs from 'node:fs/promises';
import pLimit from 'p-limit';
import { relPosix } from '../base/paths';
import type { WatchContext } from './context';
import type { Duplicates } from './duplicates';
import { hashFile } from './hash';
import type { FileSeen } from './source-watcher';

/** Files hashed at once (photos can be hundreds of MB; the disk is the limit). */
const HASH_CONCURRENCY = 2;

/** What detection needs from dispatch. */
export interface DetectionTarget {
  /** A new queued entry to hand to the job queue. */
  add(rel: string): void;
  /** The entry's job is in the queue (or being submitted): a change waits for it to end. */
  busy(rel: string): boolean;
  /** Take a queued entry back (its file vanished before it was processed). */
  withdraw(rel: string): void;
}

/**
 * Turns arriving files into journal entries: waits until a scanned file holds still, hashes it,
 * skips content already done (Duplicates) and unchanged files, and hands new work to dispatch.
 */
export class Detection {
  private readonly detecting = new Set<string>();
  private readonly detectAgain = new Map<string, FileSeen>();
  /** Changed while their job ran: looked at again when it ends. */
  private readonly changedWhileBusy = new Set<string>();
  private readonly hashing = pLimit(HASH_CONCURRENCY);

  constructor(
    private readonly w: WatchContext,
    private readonly dup: Duplicates,
    private readonly target: DetectionTarget,
  ) {}

  get idle(): boolean {
    return this.detecting.size === 0;
  }

  isDetecting(rel: string): boolean {
    return this.detecting.has(rel);
  }

  seen(f: FileSeen): void {
    if (this.w.stopped) return;
    const rel = relPosix(this.w.config.source, f.abs);
    if (this.detecting.has(rel)) {
      this.detectAgain.set(rel, f);
      return;
    }
    this.detecting.add(rel);
    this.w.background(
      this.detect(rel, f).finally(() => {
        this.detecting.delete(rel);
        const again = this.detectAgain.get(rel);
        this.detectAgain.delete(rel);
        if (again) this.seen(again);
        else this.w.checkIdle();
      }),
    );
  }

  /** The first scan: on a watch's first start only new files count, unless `existing` is set. */
  async scanned(files: FileSeen[]): Promise<void> {
    const { ledger, config } = this.w;
    if (!ledger.baselineDone && !config.options.existing) {
      // What is already there when the watch is first started is noted, not processed. A file
      // written after the watch was created is new, even if the scan saw it first.
      const now = Date.now();
      const puts: Promise<void>[] = [];
      for (const f of files) {
        const rel = relPosix(config.source, f.abs);
        if (ledger.get(rel) || this.detecting.has(rel)) continue;
        if (f.mtimeMs >= config.createdAt) {
          this.seen(f);
          continue;
        }
        puts.push(
          this.w.put({
            rel, path: f.abs, size: f.size, mtimeMs: f.mtimeMs, state: 'skipped', outputs: [], attempts: 0,
            note: 'already in the folder when the watch was created', detectedAt: now, updatedAt: now,
          }),
        );
      }
      await Promise.all(puts); // one group commit, not one fsync per file
    } else {
      for (const f of files) this.seen(f);
    }
    if (!ledger.baselineDone) await ledger.setBaselineDone().catch((err) => this.w.deps.onError?.(this.w.id, err));
    this.w.checkIdle();
  }

  async unlinked(abs: string): Promise<void> {
    const rel = relPosix(this.w.config.source, abs);
    const e = this.w.ledger.get(rel);
    if (!e || e.state !== 'queued' || e.jobId || this.target.busy(rel)) return;
    this.target.withdraw(rel);
    await this.w.finish({ ...e, state: 'skipped', gone: true, note: 'removed before it was processed', updatedAt: Date.now() });
    this.w.checkIdle();
  }

  /** After an entry's job ended: if the file changed meanwhile, look at it again now. */
  async afterJob(rel: string, file: string): Promise<void> {
    if (!this.changedWhileBusy.delete(rel)) return;
    const s = await fs.stat(file).catch(() => undefined);
    if (s?.isFile()) this.seen({ abs: file, size: s.size, mtimeMs: s.mtimeMs, via: 'event' });
  }

  private async detect(rel: string, seen: FileSeen): Promise<void> {
    const { ledger, config } = this.w;
    let f: FileSeen | undefined = seen;
    const known = ledger.get(rel);
    if (known && !known.gone && known.size === f.size && known.mtimeMs === f.mtimeMs) return; // nothing new
    if (f.via === 'scan') f = await this.waitStable(f); // chokidar events are stable already
    if (!f || this.w.stopped) return;
    const now = Date.now();
    const base = { rel, path: f.abs, size: f.size, mtimeMs: f.mtimeMs, outputs: [], attempts: 0, detectedAt: now, updatedAt: now };
    if (known && (known.state === 'queued' || known.state === 'running')) {
      // Changed while waiting or running: the running job reads whatever it reads; the new
      // content gets its own turn once that job ends (afterJob).
      if (known.jobId || this.target.busy(rel)) {
        this.changedWhileBusy.add(rel);
        return;
      }
    }
    if (f.size === 0) {
      await this.w.finish({ ...base, state: 'failed', error: { code: 'E_EMPTY_FILE', message: `${rel} is empty (0 bytes)` } });
      return;
    }
    const file = f.abs;
    const hash = await this.hashing(() => hashFile(file)).catch(() => undefined);
    if (!hash || this.w.stopped) return; // vanished while hashing: its unlink event says so
    if (known && !known.gone && known.hash === hash && (known.state === 'done' || known.state === 'skipped')) {
      await this.w.put({ ...known, size: f.size, mtimeMs: f.mtimeMs }); // touched, same content
      return;
    }
    const twin = this.dup.twinOf(hash, rel, config.options.skipDuplicates);
    if (twin !== undefined) {
      await this.w.finish({ ...base, hash, state: 'skipped', note: `duplicate of ${twin}`, outputs: ledger.get(twin)?.outputs ?? [] });
      return;
    }
    await this.w.put({ ...base, hash, state: 'queued' });
    this.target.add(rel);
  }

  /** For files found by a scan: wait until size and mtime hold still for stableMs. */
  private async waitStable(f: FileSeen): Promise<FileSeen | undefined> {
    const stableMs = this.w.config.options.stableMs;
    let cur = f;
    let since = Date.now();
    if (Date.now() - f.mtimeMs >= stableMs) return f;
    while (!this.w.stopped) {
      await new Promise((r) => setTimeout(r, Math.min(250, stableMs)));
      const s = await fs.stat(f.abs).catch(() => undefined);
      if (!s || !s.isFile()) return undefined;
      if (s.size !== cur.size || s.mtimeMs !== cur.mtimeMs) {
        cur = { ...cur, size: s.size, mtimeMs: s.mtimeMs };
        since = Date.now();
      } else if (Date.now() - since >= stableMs) return cur;
    }
    return undefined;
  }
}
