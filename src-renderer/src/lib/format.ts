// Small formatters shared by the views: sizes, durations, megapixels.

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

export function formatMP(width: number, height: number): string {
  const mp = (width * height) / 1e6;
  return `${mp < 10 ? mp.toFixed(1) : mp.toFixed(0)} MP`;
}

export function formatDims(width: number, height: number): string {
  return `${width} × ${height}`;
}

/** "12 s", "3 min 20 s", "1 h 5 min": a human ETA. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A measured estimate, rounded as people say it: "under 5 s", "~40 s", "~3 min", "~1 h 20 min". */
export function formatEstimate(ms: number): string {
  const s = ms / 1000;
  if (s < 5) return 'under 5 s';
  if (s < 60) return `~${Math.round(s / 5) * 5} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `~${m} min`;
  return `~${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatClock(t: number): string {
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  return x < 0.001 ? x.toExponential(2) : x.toPrecision(3);
}

export function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

export function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : p;
}
