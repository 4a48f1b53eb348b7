// libvips writes ICC, XMP and resolution into TIFF but not EXIF. ExifTool (the reference
// metadata writer, bundled by exiftool-vendored) copies the prepared EXIF block into the TIFF's
// own IFDs. Loaded only when a TIFF needs EXIF; its process lives for one call.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StudioError } from '../contract/errors';

/** Copies every tag of a bare EXIF block into an existing TIFF file, in place. */
export async function writeTiffExif(tiffPath: string, exifBlock: Buffer): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-exif-'));
  const blockPath = path.join(dir, 'block.exif');
  let et: { end(): Promise<void> } | undefined;
  try {
    await fs.writeFile(blockPath, exifBlock);
    const { ExifTool } = await import('exiftool-vendored');
    const tool = new ExifTool({ maxProcs: 1, taskTimeoutMillis: 60_000 });
    et = tool;
    // -EXIF:all copies IFD0, Exif, GPS and Interop groups; the TIFF's pixel layout tags are
    // "unsafe" for ExifTool and never taken from the block.
    await tool.write(tiffPath, {}, { writeArgs: ['-TagsFromFile', blockPath, '-EXIF:all', '-overwrite_original'] });
  } catch (err) {
    throw new StudioError('E_INTERNAL', `could not write EXIF into ${path.basename(tiffPath)}: ${(err as Error).message}`, { reason: 'exiftool' });
  } finally {
    await et?.end().catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}
