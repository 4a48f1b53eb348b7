// Durable file writes: the one place that knows how to put bytes on disk so that a crash at any
// moment leaves either the old file or the whole new one.
//
// Kept here instead of `write-file-atomic`: that package neither fsyncs the folder after the
// rename (so a power loss can lose the new name) nor names its temp files in a way a later run
// can tell stale ones from a live writer's; removeStaleTemps below relies on our naming.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** `.<name>.<pid>.<8 hex>.tmp`: the temp names writeFileAtomic makes (the pid tells a dead writer). */
export const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Make a rename or a new file's directory entry durable (a no-op where folders cannot be opened). */
export async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Windows cannot fsync a directory; NTFS journals the rename itself.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export interface AtomicWriteOptions {
  /** Create the folder first (default false: a missing folder is the caller's error). */
  mkdir?: boolean;
  /** File mode of a new file (default 0o644). */
  mode?: number;
}

/**
 * Writes a file so readers see either the old content or the whole new one: a temp file in the
 * same folder (same file system, so rename is atomic), fsync, rename, then fsync of the folder.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  if (opts.mkdir) await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', opts.mode ?? 0o644);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(tmp, file);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** Creates a new file (never replacing one: 'wx') and fsyncs it; for temp files a caller then links or renames. */
export async function writeNewFileDurable(file: string, data: Uint8Array | string): Promise<void> {
  const fh = await fs.open(file, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A text file's content, or undefined when there is no such file (other errors are thrown). */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether a process id is alive (EPERM: alive but not ours), for stale locks and temp files. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes writeFileAtomic temp files of writers that are gone (a live writer may still rename its file). */
export async function removeStaleTemps(dir: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const m = TEMP_FILE.exec(n);
    if (!m || processAlive(Number(m[1]))) continue;
    await fs.rm(path.join(dir, n), { force: true }).catch(() => undefined);
  }
}

/** Runs async tasks one after another (writes of one file must not interleave). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
