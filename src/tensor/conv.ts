/** conv2d with a gradient that runs on wasm, which lacks the `Conv2DBackpropFilter` kernel. */
import * as tf from '@tensorflow/tfjs';

/**
 * Padding of `conv2dWithGrad`, as TF.js takes it: 'same', 'valid' or the same number of zeros on every side.
 * @example const pad: ConvPad = 1; // one ring of zeros
 */
export type ConvPad = 'same' | 'valid' | number;

/**
 * A 2-D convolution (NHWC input, [kh, kw, inChannels, outChannels] filter, dilation 1) whose gradient works on
 * every backend: the input gradient is TF.js's transposed conv (`Conv2DBackpropInput`, which wasm has), and the
 * filter gradient is itself a conv, so no `Conv2DBackpropFilter` kernel is needed. Same values and gradients as
 * `tf.conv2d`; use it inside `tf.grads` on wasm.
 * @example
 * const y = conv2dWithGrad(x, filter, 1, 'same');   // x: [n, h, w, c], filter: [3, 3, c, k]
 * const [dx, dFilter] = tf.grads((a, f) => conv2dWithGrad(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').sum())([x, filter]);
 */
export function conv2dWithGrad(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number] = 1,
  pad: ConvPad = 'valid',
): tf.Tensor4D {
  // A registered Conv2DBackpropFilter kernel built from other ops leaks their intermediates; customGrad runs the
  // gradient under the engine's tape, which disposes them.
  const op = tf.customGrad((xIn, fIn, save) => {
    const x4 = xIn as tf.Tensor4D;
    const f4 = fIn as tf.Tensor4D;
    (save as tf.GradSaveFunc)([x4, f4]);
    return {
      value: tf.conv2d(x4, f4, strides, pad),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [
          tf.conv2dTranspose(dy, fs, xs.shape, strides, pad),
          filterGradient(xs, dy, fs.shape, strides, pad),
        ];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * dL/dFilter as a convolution: dF[i, j, c, o] = Σ_{n, y, x} xPad[n, y·sh + i, x·sw + j, c] · dy[n, y, x, o].
 * Swapping batch and channels makes x an image of `inChannels` examples with n channels, and dy a filter of
 * [outH, outW, n, outChannels] whose taps sit `stride` apart, i.e. a conv with dilation = stride, stride 1.
 */
function filterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: ConvPad,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad);
  const [kh, kw] = filterShape;
  const [, h, w] = x.shape;
  const [, outH, outW] = dy.shape;
  const { top, left } = info.padInfo;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  // Padding that makes the output exactly kh × kw; negative when the forward conv never reached the last rows or
  // columns ('valid' with a stride that does not divide), which are then cut off instead.
  const bottom = kh + (outH - 1) * sh - h - top;
  const right = kw + (outW - 1) * sw - w - left;
  return tf.tidy(() => {
    let xt = tf.transpose(x, [3, 1, 2, 0]); // [inChannels, h, w, n]
    if (bottom < 0 || right < 0) {
      xt = tf.slice(xt, [0, 0, 0, 0], [-1, h + Math.min(bottom, 0), w + Math.min(right, 0), -1]);
    }
    const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [outH, outW, n, outChannels]
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [top, Math.max(bottom, 0)],
      [left, Math.max(right, 0)],
      [0, 0],
    ];
    const g = tf.conv2d(xt, dyt, 1, padding, 'NHWC', [sh, sw]); // [inChannels, kh, kw, outChannels]
    return tf.transpose(g, [1, 2, 0, 3]);
  });
}
