/** A faster gradient for TF.js MatMul (kernel `BatchMatMul`) on the wasm backend: plain matMuls and cheap transposes. */
import * as tf from '@tensorflow/tfjs';

/*
 * Why: the built-in gradient of C = A·B asks for A·Bᵀ-style products through the transposeA/transposeB flags.
 * The wasm backend hands a plain product to XNNPACK but runs a flagged one in a generic loop, about 12× slower
 * (660 ms against 55 ms for a [100, 3000]·[3000, 3000]ᵀ product; one FedSGD step of the paper's FC net takes
 * ~3.4 s with the flags and ~0.5 s without). This gradient writes
 * every product as a plain matMul and transposes whichever operands are cheapest to move. On other backends it
 * keeps the built-in formulas, so `cpu` stays the untouched reference.
 */

let builtin: tf.GradConfig | undefined;
let fixed: tf.GradConfig | undefined;

/** Swaps the last two axes (the matrix axes), keeping any batch axes in front. */
function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  if (r === 2) return tf.transpose(t);
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return tf.transpose(t, perm);
}

/** Number of values in the product op(a)·op(b), for the cost model below. */
function outSize(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): number {
  const rows = tA ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
  const cols = tB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  return (a.size / (a.shape[a.rank - 1] * a.shape[a.rank - 2])) * rows * cols;
}

/**
 * op(a)·op(b) with only untransposed matMuls. Each product has two rewrites; the cost counts values that are
 * moved: every transpose, plus the right operand, which XNNPACK repacks on every call (it is the "weights").
 * For a [100, 3000]·[3000, 3000]ᵀ product this picks (W·dyᵀ)ᵀ, which never transposes the 9M-value matrix.
 */
function plainMatMul(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): tf.Tensor {
  if (!tA && !tB) return tf.matMul(a, b);
  const out = outSize(a, b, tA, tB);
  if (!tA && tB) {
    // a·bᵀ = matMul(a, bᵀ) or (b·aᵀ)ᵀ
    return 2 * b.size <= 2 * a.size + out
      ? tf.matMul(a, swapLastTwo(b))
      : swapLastTwo(tf.matMul(b, swapLastTwo(a)));
  }
  if (tA && !tB) {
    // aᵀ·b: (bᵀ·a)ᵀ moves everything matMul(aᵀ, b) moves plus the output, so it never wins.
    return tf.matMul(swapLastTwo(a), b);
  }
  // aᵀ·bᵀ = (b·a)ᵀ or matMul(aᵀ, bᵀ)
  return out + a.size <= a.size + 2 * b.size
    ? swapLastTwo(tf.matMul(b, a))
    : tf.matMul(swapLastTwo(a), swapLastTwo(b));
}

/** The same products as TF.js's own BatchMatMul gradient, routed through `plainMatMul` on wasm. */
const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
  const g = dy as tf.Tensor;
  const [a, b] = saved;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const mm = tf.getBackend() === 'wasm' ? plainMatMul : (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) =>
    tf.matMul(x, y, tx, ty);
  if (!transposeA && !transposeB) return { a: () => mm(g, b, false, true), b: () => mm(a, g, true, false) };
  if (!transposeA && transposeB) return { a: () => mm(g, b, false, false), b: () => mm(g, a, true, false) };
  if (transposeA && !transposeB) return { a: () => mm(b, g, false, true), b: () => mm(a, g, false, false) };
  return { a: () => mm(b, g, true, true), b: () => mm(g, a, true, true) };
};

/**
 * Turns the wasm MatMul-gradient fix on (the default once `setupBackend` ran) or back to TF.js's built-in
 * gradient (for benchmarks). The gradient registry is global, so this affects every backend, but the fix only
 * changes what runs on wasm.
 * @example
 * setMatMulGradFix(false); // measure the built-in gradient
 * setMatMulGradFix(true);
 */
export function setMatMulGradFix(enabled: boolean): void {
  builtin ??= tf.getGradient(tf.BatchMatMul);
  fixed ??= { kernelName: tf.BatchMatMul, inputsToSave: ['a', 'b'], gradFunc };
  if (enabled) tf.registerGradient(fixed);
  else if (builtin) tf.registerGradient(builtin);
}

/**
 * Whether the registered MatMul gradient is fedleak's.
 * @example if (!matMulGradFixEnabled()) setMatMulGradFix(true);
 */
export function matMulGradFixEnabled(): boolean {
  return fixed !== undefined && tf.getGradient(tf.BatchMatMul) === fixed;
}
