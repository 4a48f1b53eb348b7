// MATLAB imresize of one float64 plane (metrics/ planes), kept in float64: metrics/ may not import
// engine/, so measures that need a resample (NIQE's second scale) receive this one.
import type { Plane } from '../../metrics/plane';
import { planResize, resizeRows, type ResizeTarget } from './imresize';
import type { ResizeKernel } from './kernels';

export function resizePlane(p: Plane, target: ResizeTarget, kernel: ResizeKernel = 'bicubic'): Plane {
  const plan = planResize(p.width, p.height, target, kernel, true);
  const data = new Float64Array(plan.outW * plan.outH);
  resizeRows({ width: p.width, height: p.height, channels: 1, data: p.data }, plan, (y, row) => data.set(row, y * plan.outW));
  return { width: plan.outW, height: plan.outH, data };
}

/** MATLAB `imresize(p, 0.5)`: bicubic, antialiased. */
export const halfPlane = (p: Plane): Plane => resizePlane(p, { scale: 0.5 });
