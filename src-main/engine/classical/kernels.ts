// Interpolation kernels exactly as MATLAB's imresize defines them (box, triangle, cubic a=-0.5,
// lanczos3), with the support width MATLAB uses for each.

export type ResizeKernel = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';

export interface KernelSpec {
  fn: (x: number) => number;
  /** Support width in input pixels at scale 1. */
  width: number;
}

// MATLAB's eps, kept in lanczos3 so x = 0 gives exactly 1 with no special case.
const EPS = 2.220446049250313e-16;

function box(x: number): number {
  return x >= -0.5 && x < 0.5 ? 1 : 0;
}

function triangle(x: number): number {
  if (x >= -1 && x < 0) return x + 1;
  if (x >= 0 && x <= 1) return 1 - x;
  return 0;
}

export function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

function lanczos3(x: number): number {
  if (!(Math.abs(x) < 3)) return 0;
  return (Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3) + EPS) / ((Math.PI * Math.PI * x * x) / 3 + EPS);
}

export const KERNELS: Record<ResizeKernel, KernelSpec> = {
  nearest: { fn: box, width: 1 },
  bilinear: { fn: triangle, width: 2 },
  bicubic: { fn: cubic, width: 4 },
  lanczos3: { fn: lanczos3, width: 6 },
};
