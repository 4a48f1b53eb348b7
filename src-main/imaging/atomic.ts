import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../base/durable';
import { isSameFile } from '../base/paths';
import { StudioError } from '../contract/errors';

async function statOrNull(p: string) {
  try {
    return await fs.stat(p);
  } catch {
    return null;
  }
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
