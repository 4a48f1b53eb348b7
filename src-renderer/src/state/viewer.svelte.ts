export type CompareMode = 'split' | 'before' | 'after';
export type Surround = 'dark' | 'grey' | 'black';

/** How the viewer looks at a photo: shared by the viewer, the compare view and the shortcuts. */
class ViewerState {
  /** 'fit' or device pixels per image pixel (1 = 100 %). */
  zoom = $state<'fit' | number>('fit');
  /** The fit scale the viewer last computed, so +/- can step from it. */
  fitScale = $state(1);
  /** Image pixel at the centre of the stage (when not fitting). */
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
    const steps = [0.125, 0.25, 0.5, 1, 2, 4, 8];
    const z = this.effectiveZoom();
    this.zoom = steps.find((s) => s > z * 1.01) ?? 8;
  }

  zoomOut(): void {
    const steps = [0.125, 0.25, 0.5, 1, 2, 4, 8];
    const z = this.effectiveZoom();
    const next = [...steps].reverse().find((s) => s < z * 0.99);
    this.zoom = next === undefined || next <= this.fitScale ? 'fit' : next;
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
