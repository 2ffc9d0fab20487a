/** Finding and replacing one dense layer (`<layer>/kernel`, `<layer>/bias`) in a list of named arrays. */
import type { NamedArray, NamedArrays } from '../types.js';
import { FedleakError } from '../errors.js';

/**
 * A dense layer's two arrays, checked against each other: kernel [inputDim, neurons], bias [neurons].
 * @example const { inputDim, neurons }: DenseLayer = findDense(params, 'dense0', 'params');
 */
export interface DenseLayer {
  kernel: NamedArray;
  bias: NamedArray;
  inputDim: number;
  neurons: number;
}

/**
 * Finds `<layer>/kernel` and `<layer>/bias` in `arrays` and checks their shapes and lengths agree.
 * `where` names the list in error messages (`update`, `params`).
 * @throws FedleakError SHAPE_MISMATCH naming what is missing or does not fit.
 * @example
 * const { kernel, bias, inputDim, neurons } = findDense(update.arrays, 'dense0', 'update');
 */
export function findDense(arrays: NamedArrays, layer: string, where: string): DenseLayer {
  const kernel = arrays.find((a) => a.name === `${layer}/kernel`);
  const bias = arrays.find((a) => a.name === `${layer}/bias`);
  const missing = [kernel ? null : `${layer}/kernel`, bias ? null : `${layer}/bias`].filter((m) => m !== null);
  if (!kernel || !bias) {
    const held = arrays.map((a) => a.name).join(', ') || 'nothing';
    throw new FedleakError('SHAPE_MISMATCH', `the ${where} has no ${missing.join(' or ')} (it holds: ${held})`, {
      path: `${where}.${missing[0]}`,
      hint: `the attack reads layer ${layer}: use a model whose first dense layer is named ${layer}`,
    });
  }
  if (kernel.shape.length !== 2) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `expected a 2-D kernel [inputDim, neurons], got shape [${kernel.shape.join(', ')}]`,
      { path: `${where}.${kernel.name}` },
    );
  }
  const [inputDim, neurons] = kernel.shape;
  if (bias.shape.length !== 1 || bias.shape[0] !== neurons) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `expected bias shape [${neurons}] to match kernel [${inputDim}, ${neurons}], got [${bias.shape.join(', ')}]`,
      { path: `${where}.${bias.name}` },
    );
  }
  for (const a of [kernel, bias]) {
    const size = a.shape.reduce((p, q) => p * q, 1);
    if (a.data.length !== size) {
      throw new FedleakError('SHAPE_MISMATCH', `shape [${a.shape.join(', ')}] needs ${size} values, got ${a.data.length}`, {
        path: `${where}.${a.name}`,
      });
    }
  }
  return { kernel, bias, inputDim, neurons };
}

/**
 * A new list with `<layer>/kernel` and `<layer>/bias` replaced by fresh arrays holding `kernel` and `bias`.
 * The input list is not changed; the other entries are the same objects as in `params` (not copied).
 * @throws FedleakError SHAPE_MISMATCH when the layer is missing or the new data's lengths do not fit.
 * @example
 * const crafted = replaceDense(params, 'dense0', trapKernel, new Float32Array(neurons));
 */
export function replaceDense(params: NamedArrays, layer: string, kernel: Float32Array, bias: Float32Array): NamedArrays {
  const old = findDense(params, layer, 'params');
  if (kernel.length !== old.kernel.data.length || bias.length !== old.bias.data.length) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `new kernel/bias hold ${kernel.length}/${bias.length} values, the layer needs ` +
        `${old.kernel.data.length}/${old.bias.data.length}`,
      { path: `params.${layer}` },
    );
  }
  return params.map((a) => {
    if (a === old.kernel) return { name: a.name, shape: [...a.shape], data: kernel };
    if (a === old.bias) return { name: a.name, shape: [...a.shape], data: bias };
    return a;
  });
}

/**
 * Throws SHAPE_MISMATCH unless a found dense layer has the input size and width the model spec says.
 * @example checkSpecFits(spec, findDense(params, 'dense0', 'params'));
 */
export function checkSpecFits(spec: { inputDim: number; neurons: number }, layer: DenseLayer): void {
  if (layer.inputDim !== spec.inputDim || layer.neurons !== spec.neurons) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `dense0/kernel is [${layer.inputDim}, ${layer.neurons}] but the model spec says [${spec.inputDim}, ${spec.neurons}]`,
      { path: `params.${layer.kernel.name}` },
    );
  }
}
