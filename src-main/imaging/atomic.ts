import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../contract/errors';

/**
 * Writes a file so readers see either the old content or the whole new one: a temp file in the
 * same folder (same file system, so rename is atomic), fsync, rename, then fsync of the folder.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', 0o644);
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
  // Make the rename itself durable; not every platform can open a directory (Windows).
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
}

async function statOrNull(p: string) {
  try {
    return await fs.stat(p);
  } catch {
    return null;
  }
}

/** True when a and b name the same file (same path, or same inode through links / case folding). */
export async function isSameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [sa, sb] = await Promise.all([statOrNull(a), statOrNull(b)]);
  return !!sa && !!sb && sa.dev === sb.dev && sa.ino === sb.ino;
}

export interface WriteOutputOptions {
  /** The original this output was made from: never replaced. */
  inputPath?: string;
  /** Replace an existing output file (never the input itself unless replaceInput is also set). */
  overwrite?: boolean;
  /** Explicitly allow replacing the original. */
  replaceInput?: boolean;
}

/**
 * Writes an output image atomically. Refuses (E_WOULD_OVERWRITE) to replace the input, and to
 * replace any existing file unless `overwrite` is set. Creates the folder if needed.
 */
export async function writeOutput(file: string, data: Uint8Array, opts: WriteOutputOptions = {}): Promise<void> {
  if (opts.inputPath && !opts.replaceInput && (await isSameFile(file, opts.inputPath))) {
    throw new StudioError('E_WOULD_OVERWRITE', `refusing to overwrite the original ${opts.inputPath}; choose another output folder or name`, {
      path: file,
      reason: 'input',
    });
  }
  if (!opts.overwrite && (await statOrNull(file))) {
    throw new StudioError('E_WOULD_OVERWRITE', `${file} already exists; pass overwrite to replace it`, { path: file, reason: 'exists' });
  }
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(file, data);
}

/** `name.ext`, or the first free `name-2.ext`, `name-3.ext`... in the same folder. */
export async function freeOutputPath(file: string): Promise<string> {
  const ext = path.extname(file);
  const stem = file.slice(0, file.length - ext.length);
  for (let i = 1; i < 10000; i++) {
    const p = i === 1 ? file : `${stem}-${i}${ext}`;
    if (!(await statOrNull(p))) return p;
  }
  throw new StudioError('E_WOULD_OVERWRITE', `no free file name near ${file}`);
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
