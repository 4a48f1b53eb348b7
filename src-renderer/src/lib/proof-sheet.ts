// A one-page client proof sheet: the same crop of a photo by several methods, labelled,
// with an overview showing where the crop is. Drawn on a canvas in the renderer so it works
// the same in the browser and the desktop app; saved as a JPEG.

export interface ProofPane {
  label: string;
  detail: string;
  img: HTMLImageElement;
  /** Image pixels per original pixel (1 for the original, the job's scale for results). */
  scale: number;
}

export interface ProofSheet {
  title: string;
  subtitle: string;
  overview: HTMLImageElement;
  /** The crop in original-image pixels. */
  crop: { x: number; y: number; w: number; h: number };
  originalSize: { w: number; h: number };
  panes: ProofPane[];
}

const PAGE_DPI = 300;
const PAGE_W = 3508; // A4 landscape at 300 dpi
const PAGE_H = 2480;
const M = 150;

export function drawProofSheet(sheet: ProofSheet): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = PAGE_W;
  canvas.height = PAGE_H;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D canvas');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, PAGE_W, PAGE_H);

  // Header
  g.fillStyle = '#111';
  g.font = '600 64px system-ui, sans-serif';
  g.fillText(sheet.title, M, M + 40);
  g.fillStyle = '#666';
  g.font = '36px system-ui, sans-serif';
  g.fillText(sheet.subtitle, M, M + 100);

  // Overview with the crop marked, top right
  const ovH = 200;
  const ovW = Math.round((ovH * sheet.originalSize.w) / sheet.originalSize.h);
  const ovX = PAGE_W - M - ovW;
  const ovY = M - 20;
  g.drawImage(sheet.overview, ovX, ovY, ovW, ovH);
  const k = ovW / sheet.originalSize.w;
  g.strokeStyle = '#e0a040';
  g.lineWidth = 6;
  g.strokeRect(ovX + sheet.crop.x * k, ovY + sheet.crop.y * k, Math.max(6, sheet.crop.w * k), Math.max(6, sheet.crop.h * k));

  // Panes: the grid (columns x rows) that gives each pane the most area.
  const n = sheet.panes.length;
  const gap = 60;
  const top = M + 260;
  const labelH = 120;
  const aspect = sheet.crop.w / sheet.crop.h;
  let best = { cols: 1, rows: n, pw: 0, ph: 0 };
  for (let c = 1; c <= n; c++) {
    const r = Math.ceil(n / c);
    const availW = PAGE_W - 2 * M - (c - 1) * gap;
    const availH = PAGE_H - top - M - 60 - r * labelH - (r - 1) * gap;
    let w = availW / c;
    let hgt = w / aspect;
    if (hgt > availH / r) {
      hgt = availH / r;
      w = hgt * aspect;
    }
    if (w * hgt > best.pw * best.ph) best = { cols: c, rows: r, pw: w, ph: hgt };
  }
  const { cols, pw, ph } = best;
  const rowW = cols * pw + (cols - 1) * gap;
  const left = (PAGE_W - rowW) / 2;
  sheet.panes.forEach((p, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    const x = left + c * (pw + gap);
    const y = top + r * (ph + labelH + gap);
    // Nearest-neighbour when enlarging so the page shows each method's real pixels.
    g.imageSmoothingEnabled = (pw / sheet.crop.w) / p.scale < 1;
    g.drawImage(p.img, sheet.crop.x * p.scale, sheet.crop.y * p.scale, sheet.crop.w * p.scale, sheet.crop.h * p.scale, x, y, pw, ph);
    g.strokeStyle = '#ddd';
    g.lineWidth = 2;
    g.strokeRect(x, y, pw, ph);
    g.fillStyle = '#111';
    g.font = '600 44px system-ui, sans-serif';
    g.fillText(p.label, x, y + ph + 62);
    g.fillStyle = '#777';
    g.font = '32px system-ui, sans-serif';
    g.fillText(p.detail, x, y + ph + 106);
  });

  g.fillStyle = '#999';
  g.font = '28px system-ui, sans-serif';
  g.fillText(`Loupe Studio · ${new Date().toLocaleString()}`, M, PAGE_H - M + 40);
  return canvas;
}

export async function canvasToJpeg(canvas: HTMLCanvasElement): Promise<Blob> {
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the proof sheet could not be encoded'))), 'image/jpeg', 0.92));
  return new Blob([withJpegDpi(new Uint8Array(await blob.arrayBuffer()), PAGE_DPI)], { type: 'image/jpeg' });
}

/**
 * The page's print resolution in the JPEG's JFIF header (a canvas writes none, and the sheet
 * would print at 72 dpi, four times too big): the JFIF segment's density set, or one added.
 */
export function withJpegDpi(jpeg: Uint8Array, dpi: number): Uint8Array<ArrayBuffer> {
  const jfif = jpeg[2] === 0xff && jpeg[3] === 0xe0 && String.fromCharCode(...jpeg.subarray(6, 11)) === 'JFIF\0';
  const density = [1, dpi >> 8, dpi & 255, dpi >> 8, dpi & 255]; // units: dots per inch; X; Y
  if (jfif) {
    const out = jpeg.slice();
    out.set(density, 13);
    return out;
  }
  const app0 = [0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, ...density, 0, 0];
  const out = new Uint8Array(jpeg.length + app0.length);
  out.set(jpeg.subarray(0, 2));
  out.set(app0, 2);
  out.set(jpeg.subarray(2), 2 + app0.length);
  return out;
}

/** Waits until an <img> has its pixels (decode() where supported). */
export async function loaded(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  await img.decode();
  return img;
}
