// Differentiable building blocks that train on every backend. tfjs's wasm backend has no
// Conv2DBackpropFilter kernel, so for training a convolution is written as im2col + matMul
// (shifted slices, concat, one matrix product): every op in it has a gradient and a wasm kernel.
// Inference uses the backend's own conv2d, which computes the same function.
import { tf } from '../backend';

/** 'im2col' for training where the backend lacks conv gradients; 'native' otherwise and for inference. */
export type ConvMode = 'im2col' | 'native';

/** Native conv gradients: the TensorFlow (libtensorflow) and WebGPU backends have them. */
export function trainingConvMode(): ConvMode {
  const b = tf.getBackend();
  return b === 'tensorflow' || b === 'webgpu' ? 'native' : 'im2col';
}

/** Taps of a 3x3 (or k x k) window with stride 1, zero padding 'same'. */
function taps1(x: tf.Tensor4D, k: number): tf.Tensor4D[] {
  const [B, H, W, C] = x.shape;
  const r = (k - 1) / 2;
  const p = tf.pad(x, [
    [0, 0],
    [r, r],
    [r, r],
    [0, 0],
  ]);
  const out: tf.Tensor4D[] = [];
  for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) out.push(tf.slice(p, [0, dy, dx, 0], [B, H, W, C]));
  return out;
}

/**
 * Taps with stride 2 (output ceil(H/2) x ceil(W/2)), padded 1 before and enough after. Strided
 * slices have no gradient in tfjs, so every other row/column is picked by a reshape + slice.
 */
function taps2(x: tf.Tensor4D, k: number): tf.Tensor4D[] {
  const [B, H, W, C] = x.shape;
  const Ho = Math.ceil(H / 2);
  const Wo = Math.ceil(W / 2);
  const r = (k - 1) / 2;
  const p = tf.pad(x, [
    [0, 0],
    [r, 2 * Ho + k - 1 - r - H],
    [r, 2 * Wo + k - 1 - r - W],
    [0, 0],
  ]);
  const out: tf.Tensor4D[] = [];
  for (let dy = 0; dy < k; dy++)
    for (let dx = 0; dx < k; dx++) {
      const win = tf.slice(p, [0, dy, dx, 0], [B, 2 * Ho, 2 * Wo, C]);
      const pairs = tf.reshape(win, [B * Ho, 2, Wo, 2 * C]);
      out.push(tf.reshape(tf.slice(pairs, [0, 0, 0, 0], [B * Ho, 1, Wo, C]), [B, Ho, Wo, C]));
    }
  return out;
}

/** 'same' convolution, kernel [k,k,cin,cout] (HWIO), stride 1 or 2, plus bias. */
export function conv(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor, mode: ConvMode, stride: 1 | 2 = 1): tf.Tensor4D {
  const [k, , cin, cout] = w.shape;
  if (mode === 'native') {
    if (stride === 2) {
      // Same padding convention as taps2 (1 before, the rest after), so both modes agree.
      const [, H, W] = x.shape;
      const r = (k - 1) / 2;
      const xp = tf.pad(x, [
        [0, 0],
        [r, 2 * Math.ceil(H / 2) + k - 2 - r - H],
        [r, 2 * Math.ceil(W / 2) + k - 2 - r - W],
        [0, 0],
      ]);
      return tf.add(tf.conv2d(xp, w as tf.Tensor4D, 2, 'valid'), b);
    }
    return tf.add(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'), b);
  }
  const t = stride === 2 ? taps2(x, k) : taps1(x, k);
  const [B, Ho, Wo] = t[0].shape;
  const cols = tf.reshape(t.length === 1 ? t[0] : tf.concat(t, 3), [B * Ho * Wo, k * k * cin]);
  const y = tf.add(tf.matMul(cols, tf.reshape(w, [k * k * cin, cout])), b);
  return tf.reshape(y, [B, Ho, Wo, cout]);
}

/**
 * Depth-to-space (sub-pixel convolution, the learnable equivalent of a transposed convolution)
 * with 4-D reshapes and one transpose, which have gradients (tf.depthToSpace has none).
 * Channel layout as tf.depthToSpace: out[h*r+i, w*r+j, c] = in[h, w, (i*r+j)*C + c].
 */
export function pixelShuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [B, H, W, D] = x.shape;
  const C = D / (r * r);
  const a = tf.reshape(x, [B * H, W, r, r * C]);
  const t = tf.transpose(a, [0, 2, 1, 3]);
  return tf.reshape(t, [B, H * r, W * r, C]);
}

export function leaky(x: tf.Tensor4D): tf.Tensor4D {
  return tf.leakyRelu(x, 0.2);
}
