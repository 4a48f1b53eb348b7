export type CompareMode = 'split' | 'before' | 'after';

/** Zoom steps of + and − (original pixels): up to an x8 result's own pixels at 200 %. */
const ZOOM_STEPS = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16];
export const MAX_ZOOM = 16;

/**
 * The centre (a fraction of the photo's side) that keeps the photo's edges at or beyond the
 * view's edges, so panning stops at the photo's edges; a photo smaller than the view stays centred.
 */
export function clampCentre(c: number, photoPx: number, viewPx: number): number {
  if (!(photoPx > viewPx)) return 0.5;
  const half = viewPx / 2 / photoPx;
  return Math.min(1 - half, Math.max(half, c));
}
export type Surround = 'dark' | 'grey' | 'black';

/** How the viewer looks at a photo: shared by the viewer, the compare view and the shortcuts. */
class ViewerState {
  /**
   * 'fit' or device pixels per pixel of the ORIGINAL photo (1 = 100 %), whatever result is
   * shown: a x4 result at 100 % is shown at the original's size, at 400 % one of its pixels is
   * one screen pixel.
   */
  zoom = $state<'fit' | number>('fit');
  /** The fit scale the viewer last computed, so +/- can step from it. */
  fitScale = $state(1);
  /** Point of the photo at the centre of the stage, as a fraction of its width and height (when not fitting). */
  cx = $state(0.5);
  cy = $state(0.5);
  mode = $state<CompareMode>('split');
  /** Split position as a fraction of the stage width. */
  split = $state(0.5);
  loupe = $state(false);
  surround = $state<Surround>('dark');
  /** Show the result's hallucination map over it (when the job made one). */
  showMap = $state(false);

  effectiveZoom(): number {
    return this.zoom === 'fit' ? this.fitScale : this.zoom;
  }

  zoomIn(): void {
    const z = this.effectiveZoom();
    this.zoom = ZOOM_STEPS.find((s) => s > z * 1.01) ?? MAX_ZOOM;
  }

  zoomOut(): void {
    const z = this.effectiveZoom();
    const next = [...ZOOM_STEPS].reverse().find((s) => s < z * 0.99);
    // Fit when the next step would pass it on the way out (a small photo's fit can be above 100 %).
    this.zoom = next === undefined || (next <= this.fitScale && this.fitScale < z) ? 'fit' : next;
  }

  private lastMode: CompareMode = 'split';

  /** Space: show the original, and back to the previous view (split or after) on the next press. */
  toggleBeforeAfter(): void {
    if (this.mode === 'before') this.mode = this.lastMode === 'before' ? 'after' : this.lastMode;
    else {
      this.lastMode = this.mode;
      this.mode = 'before';
    }
  }
}

export const viewer = new ViewerState();

/** Index of the hallucination map among a job's outputs (<output>.map.png), or -1. */
export function mapIndex(outputs: readonly string[]): number {
  return outputs.findIndex((f) => /\.map\.png$/i.test(f));
}
