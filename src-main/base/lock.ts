// One process at a time per journal. A lock file holds its owner as JSON ({pid, host, at}); a
// lock whose process is gone (kill -9, power loss) is taken over at once. A lock holding our own
// pid is stale too (a container restarts its app under the same pid), so a second open in this
// process is refused separately.
//
// Kept here instead of `proper-lockfile`: that package judges staleness by the lock's age (10 s by
// default, refreshed on a timer), so a studio restarted right after a crash would be refused, and
// a busy event loop could lose its own lock; a pid says at once whether the owner is alive.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from './durable';
import { CodedError } from './errors';

const HELD_HERE = new Set<string>();

export interface PidLock {
  readonly file: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** The refusal when a live process holds it, e.g. `the job journal X is in use by ... (pid N)`. */
  busy(pid: number, file: string): string;
  /** The refusal when this process holds it already. */
  heldHere?(file: string): string;
}

function readHolder(text: string): { pid: number; host?: string } {
  try {
    const j = JSON.parse(text) as unknown;
    if (typeof j === 'number') return { pid: j }; // older locks held the bare pid
    if (j && typeof j === 'object') {
      const o = j as { pid?: unknown; host?: unknown };
      return { pid: typeof o.pid === 'number' ? o.pid : 0, ...(typeof o.host === 'string' ? { host: o.host } : {}) };
    }
  } catch {
    // unreadable or half-written: stale
  }
  return { pid: 0 };
}

/** Takes `file` for this process, or throws E_LOCKED (coded) when a live process holds it. */
export async function acquirePidLock(file: string, opts: LockOptions): Promise<PidLock> {
  const abs = path.resolve(file);
  if (HELD_HERE.has(abs)) throw new CodedError('E_LOCKED', opts.heldHere?.(file) ?? `${file} is already held by this process`, { file });
  await fs.mkdir(path.dirname(abs), { recursive: true });
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(abs, mine, { flag: 'wx' });
      HELD_HERE.add(abs);
      return {
        file: abs,
        async release() {
          if (!HELD_HERE.delete(abs)) return;
          const cur = await fs.readFile(abs, 'utf8').catch(() => '');
          if (cur === mine) await fs.rm(abs, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(await fs.readFile(abs, 'utf8').catch(() => ''));
    const sameHost = holder.host === undefined || holder.host === os.hostname();
    if (holder.pid > 0 && holder.pid !== process.pid && sameHost && processAlive(holder.pid)) {
      throw new CodedError('E_LOCKED', opts.busy(holder.pid, file), { pid: holder.pid, file, lock: file });
    }
    await fs.rm(abs, { force: true });
  }
  throw new CodedError('E_LOCKED', `could not take the lock ${file}`, { file });
}
