/** Seeded parameter initialisation: PyTorch's nn.Linear default (CAH's set-up), Glorot and He (Kaiming), uniform or Gaussian. */
import { FedleakError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { ModelSpec, NamedArrays } from '../types.js';
import { paramShapes } from './spec.js';

/** How `initParams` draws weights. @example initParams(spec, rng, 'he-normal' satisfies InitScheme) */
export type InitScheme = 'pytorch' | 'glorot' | 'he-normal' | 'glorot-normal';

/** The schemes `initParams` knows, for CLI help and error messages. @example initSchemes.includes('he-normal') // true */
export const initSchemes: readonly InitScheme[] = ['pytorch', 'glorot', 'he-normal', 'glorot-normal'];

/**
 * Fresh parameters for `spec`, drawn from fedleak's seeded Rng (not TF.js's RNG), so a seed fixes them on every
 * backend. Values are drawn layer by layer, kernel then bias, each in row-major [in, out] order.
 * - 'pytorch': PyTorch nn.Linear's default, weights and biases U(−1/√fanIn, 1/√fanIn) (kaiming_uniform with
 *   a = √5 reduces to that bound); the paper's models were initialised this way.
 * - 'glorot': Glorot-uniform weights, U(±√(6 / (fanIn + fanOut))), zero biases (Keras's Dense default).
 * - 'he-normal': He (Kaiming) normal for ReLU nets, weights N(0, 2 / fanIn), zero biases: PyTorch's
 *   `kaiming_normal_(w, nonlinearity='relu')` (mode fan_in), not truncated (Keras's `he_normal` truncates at 2σ).
 * - 'glorot-normal': Glorot (Xavier) normal weights, N(0, 2 / (fanIn + fanOut)), zero biases: PyTorch's
 *   `xavier_normal_`, not truncated (Keras's `glorot_normal` truncates at 2σ).
 * Conv kernels ([kh, kw, in, out], CNNs) count kh·kw·in as their fan-in, as PyTorch's nn.Conv2d does.
 * @example const params = initParams(modelSpec('fc', 784, 10), new Rng(42), 'he-normal');
 */
export function initParams(spec: ModelSpec, rng: Rng, init: InitScheme = 'pytorch'): NamedArrays {
  checkScheme(init);
  const shapes = paramShapes(spec);
  const out: NamedArrays = [];
  for (let p = 0; p < shapes.length; p += 2) {
    const kernel = shapes[p];
    const bias = shapes[p + 1];
    const layer = initLayer(rng, kernel.shape, bias.shape[0], init);
    out.push({ name: kernel.name, shape: [...kernel.shape], data: layer.kernel });
    out.push({ name: bias.name, shape: [...bias.shape], data: layer.bias });
  }
  return out;
}

/**
 * One layer's kernel (row-major, `kernelShape`) and `width` biases drawn as `initParams` draws them, kernel first;
 * zero biases draw nothing from `rng`. The text model's dense layers use it too.
 * @example const { kernel, bias } = initLayer(new Rng(1), [784, 100], 100, 'he-normal');
 */
export function initLayer(
  rng: Rng,
  kernelShape: readonly number[],
  width: number,
  init: InitScheme,
): { kernel: Float32Array; bias: Float32Array } {
  checkScheme(init);
  const { fanIn, fanOut } = fans(kernelShape);
  const size = kernelShape.reduce((x, y) => x * y, 1);
  switch (init) {
    case 'pytorch':
      return { kernel: uniform(rng, size, 1 / Math.sqrt(fanIn)), bias: uniform(rng, width, 1 / Math.sqrt(fanIn)) };
    case 'glorot':
      return { kernel: uniform(rng, size, Math.sqrt(6 / (fanIn + fanOut))), bias: new Float32Array(width) };
    case 'he-normal':
      return { kernel: normal(rng, size, Math.sqrt(2 / fanIn)), bias: new Float32Array(width) };
    case 'glorot-normal':
      return { kernel: normal(rng, size, Math.sqrt(2 / (fanIn + fanOut))), bias: new Float32Array(width) };
  }
}

function checkScheme(init: InitScheme): void {
  if (!initSchemes.includes(init)) {
    throw new FedleakError('BAD_ARGUMENT', `unknown init "${String(init)}"; expected one of ${initSchemes.join(', ')}`, {
      path: 'model.init',
    });
  }
}

/**
 * Fan-in and fan-out of a kernel as PyTorch and Keras count them: a dense [in, out] kernel has in and out; a conv
 * [kh, kw, in, out] kernel has kh·kw·in and kh·kw·out (every output sums over its kh·kw·in window).
 */
function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(0, -2).reduce((x, y) => x * y, 1);
  return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
}

/** n values U(−limit, limit); a plain loop (about 0.7 s for the 20.8M values of the FC net). */
function uniform(rng: Rng, n: number, limit: number): Float32Array {
  const a = new Float32Array(n);
  const scale = 2 * limit;
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * scale - limit;
  return a;
}

/** n values N(0, std²) from the Rng's Box–Muller normals, in order. */
function normal(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}
