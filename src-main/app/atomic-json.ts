import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';

// Persisted desktop state is read through a schema and written atomically (temp file in the
// same folder, fsync, rename), so a crash mid-write leaves the old file, never half a file.

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The file's value if it parses and matches the schema; otherwise `fallback` (a missing or damaged file is not fatal). */
export async function readJsonValidated<S extends z.ZodType>(file: string, schema: S, fallback: z.infer<S>): Promise<{ value: z.infer<S>; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { value: fallback };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { value: fallback, problem: `${path.basename(file)} is not valid JSON; using defaults` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { value: fallback, problem: `${path.basename(file)} does not match its schema; using defaults` };
  return { value: parsed.data };
}
