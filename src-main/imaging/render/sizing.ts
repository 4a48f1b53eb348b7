import type { SizeSpec } from '../../contract/presets';

export interface TargetSize {
  width: number;
  height: number;
  /** DPI to write, when the size mode decides it (print). */
  ppi?: number;
}

const CM_PER_INCH = 2.54;

/** Print size -> pixels: the physical length in inches times the print resolution. */
export function printPixels(length: number, unit: 'cm' | 'in', ppi: number): number {
  return Math.max(1, Math.round((unit === 'cm' ? length / CM_PER_INCH : length) * ppi));
}

function fitInside(w: number, h: number, boxW: number, boxH: number, enlarge: boolean): { width: number; height: number } {
  let k = Math.min(boxW / w, boxH / h);
  if (!enlarge) k = Math.min(k, 1);
  return { width: Math.max(1, Math.round(w * k)), height: Math.max(1, Math.round(h * k)) };
}

/** Output pixel size of a deliverable made from a w x h image. Aspect ratio is always kept. */
export function targetSize(w: number, h: number, size: SizeSpec): TargetSize {
  switch (size.mode) {
    case 'keep':
      return { width: w, height: h };
    case 'longEdge': {
      return w >= h ? fitInside(w, h, size.px, Number.POSITIVE_INFINITY, size.enlarge) : fitInside(w, h, Number.POSITIVE_INFINITY, size.px, size.enlarge);
    }
    case 'fit':
      return fitInside(w, h, size.width, size.height, size.enlarge);
    case 'percent':
      return { width: Math.max(1, Math.round((w * size.percent) / 100)), height: Math.max(1, Math.round((h * size.percent) / 100)) };
    case 'print': {
      // A print is made at its size whether that enlarges or reduces the image.
      const boxW = size.width !== undefined ? printPixels(size.width, size.unit, size.ppi) : Number.POSITIVE_INFINITY;
      const boxH = size.height !== undefined ? printPixels(size.height, size.unit, size.ppi) : Number.POSITIVE_INFINITY;
      return { ...fitInside(w, h, boxW, boxH, true), ppi: size.ppi };
    }
  }
}
