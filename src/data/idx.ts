/** Parser for unsigned-byte IDX files (MNIST, Fashion-MNIST, EMNIST) and their conversion to a Dataset. Pure: no Node imports. */

import { FedleakError } from '../errors.js';
import type { Dataset } from '../types.js';
import { UNIT_BYTES } from './unit-bytes.js';

/**
 * One parsed IDX file: its dimensions and its bytes, row-major.
 * @example const { dims, data } = parseIdx(bytes, 'labels', 1); // dims [10000], data 10000 bytes
 */
export interface IdxArray {
  dims: number[];
  /** `prod(dims)` bytes; a view into the buffer that was parsed, not a copy. */
  data: Uint8Array;
}

/** The IDX element type byte for unsigned bytes; the only one image datasets use. */
const UBYTE = 0x08;
const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Parses an unsigned-byte IDX file: magic `00 00 08 N` (N = number of dimensions), N big-endian uint32 sizes,
 * then the bytes. `expectedDims` (3 for images, 1 for labels) makes a labels file passed as images fail here,
 * with the magic that was expected, instead of later with a confusing shape.
 * Bytes must already be gunzipped (`readIdxDataset` in `node.ts` does that).
 *
 * @example
 * const images = parseIdx(bytes, 't10k-images-idx3-ubyte', 3);
 * images.dims; // [10000, 28, 28]
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new FedleakError('FILE_CORRUPT', 'this is gzip data, not IDX', {
      path: file,
      hint: 'gunzip it first, or load it through readIdxDataset / loadDataset, which unzip .gz files',
    });
  }
  if (bytes.length < 4) {
    throw new FedleakError('FILE_TRUNCATED', `expected a 4-byte IDX magic number, found only ${bytes.length} bytes`, {
      path: file,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = bytes[2];
  const ndims = bytes[3];
  const expected = expectedDims === undefined ? '0x000008NN (unsigned-byte IDX)' : hex(0x800 + expectedDims);
  const magicOk =
    bytes[0] === 0 && bytes[1] === 0 && type === UBYTE && ndims >= 1 && (expectedDims === undefined || ndims === expectedDims);
  if (!magicOk) {
    const what = bytes[0] === 0 && bytes[1] === 0 && IDX_TYPES[type] ? ` (${IDX_TYPES[type]} IDX with ${ndims} dimensions)` : '';
    throw new FedleakError('FILE_CORRUPT', `expected IDX magic ${expected}, found ${hex(magic)}${what}`, {
      path: file,
      hint:
        type !== UBYTE && IDX_TYPES[type]
          ? 'only unsigned-byte IDX files are supported'
          : 'check that images and labels were not swapped and that the file is an IDX file',
    });
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new FedleakError(
      'FILE_TRUNCATED',
      `expected a ${headerBytes}-byte header for ${ndims} dimensions, found only ${bytes.length} bytes`,
      { path: file },
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d);
    dims.push(size);
    count *= size;
  }
  const found = bytes.length - headerBytes;
  if (found < count) {
    throw new FedleakError(
      'FILE_TRUNCATED',
      `header says ${dims.join('×')} = ${count} data bytes, found ${found}`,
      { path: file },
    );
  }
  if (found > count) {
    // Trailing bytes mean the header and the data disagree; guessing which is right could mislabel every example.
    throw new FedleakError(
      'FILE_CORRUPT',
      `header says ${dims.join('×')} = ${count} data bytes, found ${found} (${found - count} too many)`,
      { path: file },
    );
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + count) };
}

/**
 * Options for `idxToDataset`.
 * @example idxToDataset(images, labels, 'emnist-letters', path, { transpose: true });
 */
export interface IdxDatasetOptions {
  /**
   * Transpose each image (swap rows and columns). EMNIST stores its images transposed relative to MNIST;
   * `readIdxDataset` sets this for files whose name starts with `emnist`.
   */
  transpose?: boolean;
  /** Class count when the labels present do not reach the top class; default `max(label) + 1`. */
  numClasses?: number;
  classNames?: string[];
}

/**
 * Pairs an images IDX array ([n, rows, cols] or [n, rows, cols, channels]) with a labels IDX array ([n]).
 * `numClasses` is `max(label) + 1`, so EMNIST letters (labels 1–26) get 27 classes with class 0 unused.
 *
 * @example
 * const ds = idxToDataset(parseIdx(img, 'images', 3), parseIdx(lab, 'labels', 1), 'mnist', 'data/mnist');
 * ds.shape; // [28, 28, 1]
 */
export function idxToDataset(
  images: IdxArray,
  labels: IdxArray,
  name: string,
  source: string,
  opts: IdxDatasetOptions = {},
): Dataset {
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new FedleakError(
      'FILE_CORRUPT',
      `expected images with dimensions [n, rows, cols] or [n, rows, cols, channels], got [${images.dims.join(', ')}]`,
      { path: source },
    );
  }
  if (labels.dims.length !== 1) {
    throw new FedleakError('FILE_CORRUPT', `expected labels with dimensions [n], got [${labels.dims.join(', ')}]`, {
      path: source,
    });
  }
  const [n, rows, cols] = images.dims;
  const channels = images.dims[3] ?? 1;
  if (labels.dims[0] !== n) {
    throw new FedleakError('FILE_CORRUPT', `the images file holds ${n} images but the labels file ${labels.dims[0]} labels`, {
      path: source,
      hint: 'pair each images file with its own labels file (train-* with train-*, t10k-* with t10k-*)',
    });
  }
  if (n === 0) {
    throw new FedleakError('FILE_CORRUPT', 'the IDX files hold no examples', { path: source });
  }

  const out = new Int32Array(n);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    out[i] = labels.data[i];
    if (out[i] > maxLabel) maxLabel = out[i];
  }
  const numClasses = opts.numClasses ?? maxLabel + 1;
  if (maxLabel >= numClasses) {
    throw new FedleakError('FILE_CORRUPT', `expected labels below ${numClasses}, found ${maxLabel}`, { path: source });
  }

  const inputs = new Float32Array(images.data.length);
  if (opts.transpose) {
    const per = rows * cols * channels;
    for (let i = 0; i < n; i++) {
      // The file's [rows, cols] are the image's [cols, rows]: file element (a, b) is image pixel (b, a).
      for (let a = 0; a < rows; a++) {
        for (let b = 0; b < cols; b++) {
          for (let ch = 0; ch < channels; ch++) {
            inputs[i * per + (b * rows + a) * channels + ch] = UNIT_BYTES[images.data[i * per + (a * cols + b) * channels + ch]];
          }
        }
      }
    }
  } else {
    for (let i = 0; i < images.data.length; i++) inputs[i] = UNIT_BYTES[images.data[i]];
  }

  return {
    name,
    kind: 'image',
    shape: opts.transpose ? [cols, rows, channels] : [rows, cols, channels],
    size: n,
    inputs,
    labels: out,
    numClasses,
    ...(opts.classNames ? { classNames: opts.classNames } : {}),
    source,
  };
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
