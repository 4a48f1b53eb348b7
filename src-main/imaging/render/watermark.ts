// Watermarks are drawn into the 16-bit output raster (after resizing and sharpening, in the
// output colour space), so a watermark never costs bit depth and is never sharpened.
import sharp, { type Sharp } from 'sharp';
import { StudioError } from '../../contract/errors';
import type { WatermarkSpec } from '../../contract/presets';
import { channelsOf, type Raster16 } from './raster';

interface Mark {
  width: number;
  height: number;
  /** RGBA, 8 bits. */
  data: Buffer;
}

const escapeMarkup = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function textImage(text: string, color: string, dpi: number): Sharp {
  return sharp({
    text: { text: `<span foreground="${color}">${escapeMarkup(text)}</span>`, font: 'sans bold', dpi: Math.round(dpi), rgba: true },
  });
}

/** The watermark as RGBA pixels, `width` wide (or less if it would be taller than maxHeight). */
async function renderMark(spec: WatermarkSpec, width: number, maxHeight: number, profile: string | undefined): Promise<Mark> {
  let base: Sharp;
  if (spec.kind === 'text') {
    // Measure at a nominal resolution, then render again at the resolution that gives the width.
    const probe = await textImage(spec.text ?? '', spec.color, 144).png().toBuffer({ resolveWithObject: true });
    const dpi = Math.min(20_000, Math.max(8, (144 * width) / Math.max(1, probe.info.width)));
    base = sharp(await textImage(spec.text ?? '', spec.color, dpi).png().toBuffer());
  } else {
    base = sharp(spec.imagePath ?? '', { limitInputPixels: 100_000_000 });
    try {
      await base.metadata();
    } catch (err) {
      throw new StudioError('E_FILE_NOT_FOUND', `watermark image ${spec.imagePath}: ${(err as Error).message}`, { path: spec.imagePath });
    }
  }
  let pipe = base.resize({ width, height: maxHeight, fit: 'inside', kernel: 'lanczos3' }).ensureAlpha();
  // The mark is sRGB; the raster it lands on is in the output profile.
  if (profile) pipe = pipe.withIccProfile(profile);
  const { data, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Top-left corner of a w x h mark at a position with a margin (pixels). */
export function placeMark(pos: WatermarkSpec['position'], W: number, H: number, w: number, h: number, margin: number): { left: number; top: number } {
  const col = pos.endsWith('left') ? 0 : pos.endsWith('right') ? 2 : 1;
  const row = pos.startsWith('top') ? 0 : pos.startsWith('bottom') ? 2 : 1;
  const x = [margin, Math.round((W - w) / 2), W - w - margin][col];
  const y = [margin, Math.round((H - h) / 2), H - h - margin][row];
  return { left: Math.max(0, Math.min(W - w, x)), top: Math.max(0, Math.min(H - h, y)) };
}

/**
 * Blends the watermark into the raster in place. `profile` is the output profile (sharp name or
 * path) the mark's sRGB colours are converted into, when the output was converted.
 */
export async function applyWatermark(r: Raster16, spec: WatermarkSpec, profile: string | undefined): Promise<void> {
  if (!spec.enabled || spec.opacity <= 0) return;
  const margin = Math.round(spec.margin * Math.min(r.width, r.height));
  const width = Math.max(1, Math.min(r.width, Math.round(spec.scale * r.width)));
  const mark = await renderMark(spec, width, Math.max(1, r.height - 2 * margin), profile);
  const { left, top } = placeMark(spec.position, r.width, r.height, mark.width, mark.height, margin);
  const c = channelsOf(r);
  const d = r.data;
  for (let y = 0; y < mark.height; y++) {
    for (let x = 0; x < mark.width; x++) {
      const m = (y * mark.width + x) * 4;
      const a = (mark.data[m + 3] / 255) * spec.opacity;
      if (a <= 0) continue;
      const p = ((top + y) * r.width + left + x) * c;
      if (r.colour === 3) {
        for (let k = 0; k < 3; k++) d[p + k] = Math.round(d[p + k] * (1 - a) + mark.data[m + k] * 257 * a);
      } else {
        const grey = 0.2126 * mark.data[m] + 0.7152 * mark.data[m + 1] + 0.0722 * mark.data[m + 2];
        d[p] = Math.round(d[p] * (1 - a) + grey * 257 * a);
      }
      if (r.alpha) d[p + r.colour] = Math.round(d[p + r.colour] + (65535 - d[p + r.colour]) * a);
    }
  }
}
