// Custom Keras layers used by the ESRGAN "thick" (RRDN) models: a residual scaling by 0.2 and a
// pixel shuffle (depth-to-space) per scale. The class names must match model.json.
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../backend';

type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];
type Kwargs = Record<string, unknown>;

const first = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0] : inputs);

/** Residual scaling of the RRDB blocks (ESRGAN's beta = 0.2). */
class MultiplyBeta extends tfl.layers.Layer {
  static className = 'MultiplyBeta';
  constructor(args: LayerArgs) {
    super(args);
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.mul(first(inputs), 0.2);
  }
}

function pixelShuffle(scale: number): typeof tfl.layers.Layer {
  return class PixelShuffle extends tfl.layers.Layer {
    static className = `PixelShuffle${scale}x`;
    constructor(args: LayerArgs) {
      super(args);
    }
    override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
      const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
      const up = (v: number | null): number | null => (v == null ? null : v * scale);
      const ch = s[3];
      return [s[0], up(s[1]), up(s[2]), ch == null ? null : ch / (scale * scale)];
    }
    override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
      return tf.depthToSpace(first(inputs) as tf.Tensor4D, scale, 'NHWC');
    }
  };
}

let registered = false;
/** Register the custom layers once per process (registration is global in tfjs). */
export function registerEsrganLayers(): void {
  if (registered) return;
  registered = true;
  tf.serialization.registerClass(MultiplyBeta);
  for (const s of [2, 3, 4, 8]) tf.serialization.registerClass(pixelShuffle(s) as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}
