// XMP packets of originals, as deliverables carry them.

/** XMP of the original with its orientation reset (the pixels are upright now). */
export function uprightXmp(xmp: Buffer): string {
  return xmp
    .toString('utf8')
    .replace(/tiff:Orientation="\d"/g, 'tiff:Orientation="1"')
    .replace(/<tiff:Orientation>\s*\d\s*<\/tiff:Orientation>/g, '<tiff:Orientation>1</tiff:Orientation>');
}
