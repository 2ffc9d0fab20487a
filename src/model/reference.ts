/** A float64 reference of the dense nets' forward pass and loss gradient, in plain loops (no TF.js). */
import type { ModelSpec, NamedArrays } from '../types.js';
import { paramShapes } from './spec.js';

/** One named float64 array, shaped like the parameter it belongs to. @example referenceGradient(spec, p, x, y, 1).grads[1].data[i] // dL/db_i */
export interface NamedArray64 {
  name: string;
  shape: number[];
  data: Float64Array;
}

/**
 * Logits [batch × numClasses, flat] of the first `batchSize` examples, in float64. Slow but exact enough to check
 * the TF.js path against, and to compute an attack's coefficients for one candidate input in float64.
 * @example const z = referenceLogits(spec, params, x, 1); // one input
 */
export function referenceLogits(spec: ModelSpec, params: NamedArrays, inputs: ArrayLike<number>, batchSize: number): Float64Array {
  const { acts } = forward(spec, params, inputs, batchSize);
  return acts[acts.length - 1];
}

/**
 * The gradient of the mean softmax cross-entropy over the first `batchSize` examples, in float64, with the
 * params' names and shapes (what `computeGradient` computes in float32), and the loss.
 * ReLU′(0) = 0, as in TF.js and PyTorch.
 * @example const { grads, loss } = referenceGradient(spec, params, inputs, labels, 4);
 */
export function referenceGradient(
  spec: ModelSpec,
  params: NamedArrays,
  inputs: ArrayLike<number>,
  labels: ArrayLike<number>,
  batchSize: number,
): { grads: NamedArray64[]; loss: number } {
  const shapes = paramShapes(spec);
  const layers = shapes.length / 2;
  const { acts } = forward(spec, params, inputs, batchSize);
  const classes = spec.numClasses;
  const out = acts[layers];
  // d loss / d logits = (softmax − onehot) / batch
  let g = new Float64Array(batchSize * classes);
  let loss = 0;
  for (let n = 0; n < batchSize; n++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, out[n * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(out[n * classes + c] - max);
    const y = labels[n];
    loss += -(out[n * classes + y] - max - Math.log(sum)) / batchSize;
    for (let c = 0; c < classes; c++) {
      g[n * classes + c] = (Math.exp(out[n * classes + c] - max) / sum - (c === y ? 1 : 0)) / batchSize;
    }
  }
  const grads: NamedArray64[] = new Array(shapes.length);
  for (let l = layers - 1; l >= 0; l--) {
    const [fanIn, width] = shapes[2 * l].shape;
    const h = acts[l];
    const dW = new Float64Array(fanIn * width);
    const db = new Float64Array(width);
    for (let n = 0; n < batchSize; n++) {
      for (let o = 0; o < width; o++) {
        const go = g[n * width + o];
        if (go === 0) continue;
        db[o] += go;
        for (let i = 0; i < fanIn; i++) dW[i * width + o] += h[n * fanIn + i] * go;
      }
    }
    grads[2 * l] = { name: shapes[2 * l].name, shape: [fanIn, width], data: dW };
    grads[2 * l + 1] = { name: shapes[2 * l + 1].name, shape: [width], data: db };
    if (l > 0) {
      const w = params[2 * l].data;
      const gh = new Float64Array(batchSize * fanIn);
      for (let n = 0; n < batchSize; n++) {
        for (let i = 0; i < fanIn; i++) {
          if (h[n * fanIn + i] <= 0) continue; // ReLU′ = 0 where the unit did not fire
          let s = 0;
          for (let o = 0; o < width; o++) s += w[i * width + o] * g[n * width + o];
          gh[n * fanIn + i] = s;
        }
      }
      g = gh;
    }
  }
  return { grads, loss };
}

/** acts[0] = inputs, acts[l] = ReLU(z_l) for hidden layers, acts[last] = logits. */
function forward(spec: ModelSpec, params: NamedArrays, inputs: ArrayLike<number>, batchSize: number): { acts: Float64Array[] } {
  const shapes = paramShapes(spec);
  const layers = shapes.length / 2;
  const acts: Float64Array[] = [Float64Array.from({ length: batchSize * spec.inputDim }, (_, i) => inputs[i])];
  for (let l = 0; l < layers; l++) {
    const [fanIn, width] = shapes[2 * l].shape;
    const w = params[2 * l].data;
    const b = params[2 * l + 1].data;
    const h = acts[l];
    const z = new Float64Array(batchSize * width);
    for (let n = 0; n < batchSize; n++) {
      for (let o = 0; o < width; o++) z[n * width + o] = b[o];
      for (let i = 0; i < fanIn; i++) {
        const hi = h[n * fanIn + i];
        if (hi === 0) continue;
        for (let o = 0; o < width; o++) z[n * width + o] += hi * w[i * width + o];
      }
    }
    if (l < layers - 1) for (let k = 0; k < z.length; k++) z[k] = Math.max(z[k], 0);
    acts.push(z);
  }
  return { acts };
}
