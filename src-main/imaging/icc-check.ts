import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

// An embedded colour profile is only carried into outputs when LittleCMS (inside libvips) can
// load it: libvips attaches a profile given to withIccProfile only when it opens as one, so a
// garbage profile comes back absent. Answers are remembered by the profile's hash.

const known = new Map<string, boolean>();
const KNOWN_MAX = 64;

export async function iccUsable(icc: Buffer): Promise<boolean> {
  const key = createHash('sha256').update(icc).digest('hex');
  const cached = known.get(key);
  if (cached !== undefined) return cached;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'studio-icc-'));
  let ok = false;
  try {
    const file = path.join(dir, 'profile.icc');
    await writeFile(file, icc);
    const png = await sharp(Buffer.alloc(12, 128), { raw: { width: 2, height: 2, channels: 3 } }).withIccProfile(file).png().toBuffer();
    ok = ((await sharp(png).metadata()).icc?.length ?? 0) > 0;
  } catch {
    ok = false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as string);
  known.set(key, ok);
  return ok;
}
