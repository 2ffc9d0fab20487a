/** Tests for the IDX parser: hand-built buffers, magic and truncation errors, pairing, EMNIST transposition. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFedleakError } from '../errors.js';
import { idxToDataset, parseIdx } from './idx.js';

/** An unsigned-byte IDX file with the given dims and data. */
function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

test('parseIdx reads dims big-endian and the data bytes', () => {
  const pixels = Array.from({ length: 2 * 3 * 2 }, (_, i) => i * 20);
  const parsed = parseIdx(idx([2, 3, 2], pixels), 'images', 3);
  assert.deepEqual(parsed.dims, [2, 3, 2]);
  assert.deepEqual([...parsed.data], pixels);
  // A size ≥ 256 checks the byte order of the header.
  assert.deepEqual(parseIdx(idx([300], new Array(300).fill(1)), 'labels', 1).dims, [300]);
});

test('parseIdx: wrong magic is FILE_CORRUPT naming the file, expected and found magic', () => {
  const labels = idx([3], [1, 2, 3]);
  assert.throws(
    () => parseIdx(labels, 'x/train-images-idx3-ubyte', 3),
    (e) =>
      isFedleakError(e, 'FILE_CORRUPT') &&
      e.path === 'x/train-images-idx3-ubyte' &&
      e.message.includes('0x00000803') &&
      e.message.includes('0x00000801'),
  );
  const float = idx([3], [0, 0, 0]);
  float[2] = 0x0d;
  assert.throws(() => parseIdx(float, 'f', 1), (e) => isFedleakError(e, 'FILE_CORRUPT') && /float32/.test(e.message));
  assert.throws(() => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0]), 'zip', 3), (e) => isFedleakError(e, 'FILE_CORRUPT'));
});

test('parseIdx: short data is FILE_TRUNCATED with expected and found byte counts', () => {
  const full = idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(
    () => parseIdx(full.subarray(0, full.length - 3), 'cut', 3),
    (e) => isFedleakError(e, 'FILE_TRUNCATED') && e.path === 'cut' && /\b8\b/.test(e.message) && /\b5\b/.test(e.message),
  );
  assert.throws(() => parseIdx(full.subarray(0, 10), 'header', 3), (e) => isFedleakError(e, 'FILE_TRUNCATED'));
  assert.throws(() => parseIdx(full.subarray(0, 2), 'tiny'), (e) => isFedleakError(e, 'FILE_TRUNCATED'));
  const long = new Uint8Array(full.length + 1);
  long.set(full);
  assert.throws(() => parseIdx(long, 'long', 3), (e) => isFedleakError(e, 'FILE_CORRUPT'));
});

test('parseIdx refuses gzip bytes with a hint to unzip', () => {
  assert.throws(
    () => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), 'a.gz'),
    (e) => isFedleakError(e, 'FILE_CORRUPT') && /gunzip/.test(e.hint),
  );
});

test('idxToDataset: HWC with one channel, byte/255 values, numClasses = max label + 1', () => {
  const images = parseIdx(idx([2, 2, 3], [0, 51, 255, 1, 2, 3, 10, 20, 30, 40, 50, 60]), 'i', 3);
  const labels = parseIdx(idx([2], [4, 0]), 'l', 1);
  const ds = idxToDataset(images, labels, 'tiny', 'mem');
  assert.deepEqual(ds.shape, [2, 3, 1]);
  assert.equal(ds.size, 2);
  assert.equal(ds.numClasses, 5);
  assert.deepEqual([...ds.labels], [4, 0]);
  assert.equal(ds.inputs[1], Math.fround(0.2));
  assert.equal(ds.inputs[2], 1);
  assert.equal(ds.inputs[11], Math.fround(60 / 255));
});

test('idxToDataset: EMNIST-letters labels 1..26 give 27 classes', () => {
  const images = parseIdx(idx([2, 1, 1], [0, 0]), 'i', 3);
  const ds = idxToDataset(images, parseIdx(idx([2], [1, 26]), 'l', 1), 'emnist-letters', 'mem');
  assert.equal(ds.numClasses, 27);
});

test('idxToDataset: image and label counts must agree (FILE_CORRUPT with both counts)', () => {
  const images = parseIdx(idx([3, 1, 1], [0, 0, 0]), 'i', 3);
  assert.throws(
    () => idxToDataset(images, parseIdx(idx([2], [1, 2]), 'l', 1), 'x', 'src'),
    (e) => isFedleakError(e, 'FILE_CORRUPT') && /\b3\b/.test(e.message) && /\b2\b/.test(e.message),
  );
});

test('idxToDataset: transpose swaps rows and columns (EMNIST layout)', () => {
  // File holds one 2×3 array [[1,2,3],[4,5,6]]; the image is its transpose, 3×2: [[1,4],[2,5],[3,6]].
  const images = parseIdx(idx([1, 2, 3], [1, 2, 3, 4, 5, 6]), 'i', 3);
  const ds = idxToDataset(images, parseIdx(idx([1], [0]), 'l', 1), 'e', 'mem', { transpose: true });
  assert.deepEqual(ds.shape, [3, 2, 1]);
  assert.deepEqual([...ds.inputs].map((v) => Math.round(v * 255)), [1, 4, 2, 5, 3, 6]);
});
