// The training curve: loss (train and validation, log scale) and validation PSNR per epoch,
// drawn as SVG; the caller rasterises it (imaging's svgToPng: sharp stays in imaging/).

export interface CurvePoint {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  psnr: number;
}

const W = 900;
const H = 420;
const PAD = { l: 64, r: 20, t: 36, b: 44 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Legends sit where the curves usually are not: top right for falling losses, bottom right for rising PSNR.
function panel(x0: number, w: number, title: string, series: { label: string; colour: string; pts: [number, number][]; dash?: boolean }[], log: boolean, epochs: number, bestEpoch: number | undefined, legend: 'top' | 'bottom'): string {
  const all = series.flatMap((s) => s.pts.map((p) => p[1])).filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!all.length) return '';
  const tf = (v: number) => (log ? Math.log10(v) : v);
  let lo = Math.min(...all.map(tf));
  let hi = Math.max(...all.map(tf));
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const m = (hi - lo) * 0.08;
  lo -= m;
  hi += m;
  const iw = w - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const X = (e: number) => x0 + PAD.l + (epochs <= 1 ? iw / 2 : ((e - 1) / (epochs - 1)) * iw);
  const Y = (v: number) => PAD.t + ih - ((tf(v) - lo) / (hi - lo)) * ih;
  const parts: string[] = [];
  parts.push(`<rect x="${x0 + PAD.l}" y="${PAD.t}" width="${iw}" height="${ih}" fill="#fafafa" stroke="#999"/>`);
  parts.push(`<text x="${x0 + PAD.l + iw / 2}" y="22" text-anchor="middle" font-size="15" font-family="sans-serif">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const tv = lo + ((hi - lo) * k) / 4;
    const v = log ? 10 ** tv : tv;
    const y = PAD.t + ih - (ih * k) / 4;
    parts.push(`<line x1="${x0 + PAD.l}" x2="${x0 + PAD.l + iw}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${x0 + PAD.l - 6}" y="${y + 4}" text-anchor="end" font-size="11" font-family="sans-serif">${log ? v.toExponential(1) : v.toFixed(2)}</text>`);
  }
  const ticks = Math.min(epochs, 10);
  for (let k = 0; k < ticks; k++) {
    const e = ticks <= 1 ? 1 : Math.round(1 + ((epochs - 1) * k) / (ticks - 1));
    parts.push(`<text x="${X(e)}" y="${PAD.t + ih + 16}" text-anchor="middle" font-size="11" font-family="sans-serif">${e}</text>`);
  }
  parts.push(`<text x="${x0 + PAD.l + iw / 2}" y="${H - 8}" text-anchor="middle" font-size="12" font-family="sans-serif">epoch</text>`);
  if (bestEpoch) parts.push(`<line x1="${X(bestEpoch)}" x2="${X(bestEpoch)}" y1="${PAD.t}" y2="${PAD.t + ih}" stroke="#2a2" stroke-dasharray="4 3"/>`);
  series.forEach((s, i) => {
    const pts = s.pts.filter((p) => Number.isFinite(p[1]) && (!log || p[1] > 0));
    if (pts.length) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
      for (const p of pts) parts.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.5" fill="${s.colour}"/>`);
    }
    const lx = x0 + PAD.l + iw - 150;
    const ly = legend === 'top' ? PAD.t + 8 + i * 16 : PAD.t + ih - 10 - (series.length - 1 - i) * 16;
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="3" fill="${s.colour}"/><text x="${lx + 18}" y="${ly + 5}" font-size="11" font-family="sans-serif">${esc(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** SVG of the two panels (exported for tests). */
export function curveSvg(points: CurvePoint[], opts: { title?: string; bicubicPsnr?: number; bestEpoch?: number } = {}): string {
  const epochs = Math.max(1, ...points.map((p) => p.epoch));
  const half = W / 2;
  const loss = panel(0, half, 'loss', [
    { label: 'train', colour: '#1f6fd1', pts: points.map((p) => [p.epoch, p.trainLoss]) },
    { label: 'validation', colour: '#d1531f', pts: points.map((p) => [p.epoch, p.valLoss]) },
  ], true, epochs, opts.bestEpoch, 'top');
  const psnrSeries: { label: string; colour: string; pts: [number, number][]; dash?: boolean }[] = [{ label: 'validation PSNR (dB)', colour: '#7a1fd1', pts: points.map((p) => [p.epoch, p.psnr]) }];
  if (opts.bicubicPsnr !== undefined) psnrSeries.push({ label: 'bicubic', colour: '#888', pts: [[1, opts.bicubicPsnr], [epochs, opts.bicubicPsnr]], dash: true });
  const psnr = panel(half, half, 'PSNR', psnrSeries, false, epochs, opts.bestEpoch, 'bottom');
  const title = opts.title ? `<text x="8" y="${H - 8}" font-size="11" fill="#555" font-family="sans-serif">${esc(opts.title)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="white"/>${loss}${psnr}${title}</svg>`;
}
