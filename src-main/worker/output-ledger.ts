// The files one job put down, kept durably while it runs: <dataDir>/jobs/outputs/<job>.jsonl.
// A worker killed half-way (SIGKILL, power loss) cannot remove what it wrote; the next attempt
// of the same job reads this ledger first and removes exactly those files, so the redo places
// its outputs under the same names and nothing is left twice.
//   {"op":"temp","path":...}                                a temporary file is about to exist
//   {"op":"file","path":...,"tmp"?:...,"dev","ino","size"}  this inode is (about to be) at path
// A "file" entry is written and fsynced before the link that gives the name, and a file is only
// removed when its inode (and size) still match: a name that another writer took after a crash
// is never touched, and neither is the original photo.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JsonlLog, replayLines } from '../base/jsonl-log';
import { readTextIfExists } from '../base/durable';
import { isSameFile } from '../base/paths';
import type { PlacementLog } from '../presets/place';

const Entry = z.discriminatedUnion('op', [
  z.object({ op: z.literal('temp'), path: z.string() }),
  z.object({ op: z.literal('file'), path: z.string(), tmp: z.string().optional(), dev: z.string(), ino: z.string(), size: z.number() }),
]);
type Entry = z.infer<typeof Entry>;

const CODEC = {
  parse: (raw: unknown) => {
    const r = Entry.safeParse(raw);
    return r.success ? r.data : undefined;
  },
};

/** The host's side: the job is recorded done, its ledger is no longer needed. */
export async function removeOutputLedger(dataDir: string, jobId: string): Promise<void> {
  await fs.rm(outputLedgerPath(dataDir, jobId), { force: true });
}

/** The ledger file of a job (ids that are not plain file names are hashed). */
export function outputLedgerPath(dataDir: string, jobId: string): string {
  const name = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(jobId) ? jobId : createHash('sha256').update(jobId).digest('hex').slice(0, 32);
  return path.join(dataDir, 'jobs', 'outputs', `${name}.jsonl`);
}

async function statBig(p: string) {
  try {
    return await fs.stat(p, { bigint: true });
  } catch {
    return undefined;
  }
}

async function isProtected(p: string, protect: readonly string[]): Promise<boolean> {
  for (const q of protect) if (await isSameFile(q, p)) return true;
  return false;
}

/** Removes what the entries name, where it is still this job's file. Returns the removed paths. */
async function removeEntries(entries: readonly Entry[], protect: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const rmIfOurs = async (p: string, match?: { dev: string; ino: string; size: number }) => {
    const st = await statBig(p);
    if (!st || !st.isFile() || (await isProtected(p, protect))) return;
    if (match && (String(st.dev) !== match.dev || String(st.ino) !== match.ino || Number(st.size) !== match.size)) return;
    await fs.rm(p, { force: true });
    removed.push(p);
  };
  for (const e of entries) {
    // Temporary names are random and made with O_EXCL: whatever is there is this job's.
    if (e.op === 'temp') await rmIfOurs(e.path);
    else {
      await rmIfOurs(e.path, e);
      if (e.tmp) await rmIfOurs(e.tmp, e);
    }
  }
  return removed.filter((p, i) => removed.indexOf(p) === i);
}

/**
 * Before a job runs: if an earlier attempt of it left a ledger, remove the files it names (never
 * one of `protect`), then the ledger. Returns what was removed (visible, not temporary, files).
 */
export async function undoEarlierAttempt(file: string, protect: readonly string[]): Promise<string[]> {
  const text = await readTextIfExists(file);
  if (text === undefined) return [];
  // A torn last line: the process died mid-append, before that file's link.
  const entries = (await replayLines(text, CODEC, file)).records;
  const removed = await removeEntries(entries, protect);
  await fs.rm(file, { force: true });
  const placed = new Set(entries.flatMap((e) => (e.op === 'file' ? [e.path] : [])));
  return removed.filter((p) => placed.has(p));
}

/**
 * The running attempt's ledger. Without a file (no data folder, no job id) it still remembers
 * in memory, so a handled failure can remove what was written.
 */
export class OutputLedger implements PlacementLog {
  private readonly entries: Entry[] = [];
  private readonly log: JsonlLog<Entry> | undefined;

  constructor(
    readonly file: string | undefined,
    private readonly protect: readonly string[],
  ) {
    // Opened with the first entry: most jobs that never place a file leave no ledger.
    this.log = file ? new JsonlLog<Entry>({ file, codec: CODEC, lazy: true }) : undefined;
  }

  temp(tmp: string): Promise<void> {
    // Not fsynced: a killed process's writes survive in the OS; only a power loss could lose
    // this line, and then at worst a hidden temporary file stays behind.
    return this.append({ op: 'temp', path: tmp }, false);
  }

  async linking(tmp: string, target: string): Promise<void> {
    await this.recordFile(target, tmp, tmp);
  }

  /** A file already written under its final name (by a replacing write). */
  async placed(file: string): Promise<void> {
    await this.recordFile(file, file);
  }

  /** Remove everything this attempt recorded, then the ledger (a handled failure or a cancel). */
  async undo(): Promise<string[]> {
    await this.close();
    const removed = await removeEntries(this.entries, this.protect);
    await this.discard();
    return removed;
  }

  /**
   * The job succeeded: stop writing but keep the ledger. The host removes it once the job's done
   * state is durable (removeOutputLedger), so a crash before that still redoes the job cleanly.
   */
  async close(): Promise<void> {
    await this.log?.close();
  }

  /** Nothing of this attempt stays: close and delete the ledger. */
  async discard(): Promise<void> {
    await this.close();
    if (this.file) await fs.rm(this.file, { force: true });
  }

  private async recordFile(target: string, statPath: string, tmp?: string): Promise<void> {
    const st = await fs.stat(statPath, { bigint: true });
    await this.append({ op: 'file', path: target, ...(tmp ? { tmp } : {}), dev: String(st.dev), ino: String(st.ino), size: Number(st.size) }, true);
  }

  private append(e: Entry, durable: boolean): Promise<void> {
    this.entries.push(e);
    return this.log ? this.log.append(JSON.stringify(e), durable) : Promise.resolve();
  }
}
