// Terminal progress: a one-line bar redrawn in place on a TTY; nothing in between on a pipe
// (the caller prints plain result lines, which stay readable in logs).

export interface ProgressState {
  /** Finished items / all items. */
  finished: number;
  total: number;
  /** What is running now, e.g. 'photo.jpg infer 40%'. */
  label?: string;
  /** 0..1 of the current item. */
  fraction?: number;
  etaMs?: number;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The bar's text for a terminal `columns` wide (exported for tests). */
export function renderBar(s: ProgressState, columns: number): string {
  const overall = s.total ? Math.min(1, (s.finished + (s.fraction ?? 0)) / s.total) : 0;
  const width = Math.max(10, Math.min(30, columns - 50));
  const filled = Math.round(overall * width);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(width - filled)}]`;
  const pct = `${String(Math.floor(overall * 100)).padStart(3)}%`;
  const eta = s.etaMs !== undefined ? ` ETA ${formatDuration(s.etaMs)}` : '';
  let line = `${bar} ${pct} ${s.finished}/${s.total}${eta}${s.label ? `  ${s.label}` : ''}`;
  if (line.length > columns - 1) line = `${line.slice(0, Math.max(0, columns - 2))}…`;
  return line;
}

export class ProgressBar {
  private state: ProgressState = { finished: 0, total: 0 };
  private shown = false;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly minIntervalMs = 80,
  ) {}

  /** Only a terminal gets a bar. */
  get enabled(): boolean {
    return !!this.stream.isTTY;
  }

  update(s: Partial<ProgressState>): void {
    this.state = { ...this.state, ...s };
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw >= this.minIntervalMs) this.draw();
    else if (!this.timer) this.timer = setTimeout(() => this.draw(), this.minIntervalMs);
  }

  /** Print a line above the bar (results, warnings) without tearing it. */
  log(line: string, to: NodeJS.WriteStream = process.stdout): void {
    if (this.shown) this.clear();
    to.write(`${line}\n`);
    if (this.shown) this.draw();
  }

  done(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.shown) this.clear();
    this.shown = false;
  }

  private clear(): void {
    this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastDraw = Date.now();
    this.clear();
    this.stream.write(renderBar(this.state, this.stream.columns || 80));
    this.shown = true;
  }
}
