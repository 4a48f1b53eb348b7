import sharp from 'sharp';

/** An SVG drawing (a chart) rasterised to PNG at its own size. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
