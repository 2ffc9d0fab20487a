/**
 * Pictures the server keeps and streams: the extracted inputs of one update (unique in 8-bit), original |
 * extracted grids when a client revealed its batch, and the first layer's weights (the trap layer).
 */
import { PNG } from 'pngjs';
import type { Candidate } from '../types.js';
import type { Metrics } from '../eval/index.js';
import { renderGrid, type GridCell } from '../report/grid.js';

/** Tiles drawn at most per picture (the JSON record keeps the full counts). */
export const MAX_TILES = 60;

/**
 * The candidates that differ once rounded to 8-bit pixels (the exactness rule), in neuron order. Several trap
 * neurons often isolate the same input; the dashboard shows each input once.
 * @example uniqueCandidates(rec.candidates).length <= rec.candidates.length
 */
export function uniqueCandidates(candidates: readonly Candidate[]): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of candidates) {
    // Two 32-bit FNV-1a hashes over the rounded bytes: a collision would only hide a duplicate tile.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    const x = c.x;
    for (let j = 0; j < x.length; j++) {
      const v = x[j];
      const byte = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
      h1 = Math.imul(h1 ^ byte, 0x01000193);
      h2 = Math.imul(h2 ^ (byte + j), 0x85ebca6b);
    }
    const key = `${h1 >>> 0}:${h2 >>> 0}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

/**
 * The extracted inputs as a row of tiles (clipped to [0, 1] for display), at most `MAX_TILES`.
 * @example const png = renderCandidates(uniqueCandidates(rec.candidates), [28, 28, 1]);
 */
export function renderCandidates(candidates: readonly Candidate[], shape: readonly number[]): Uint8Array {
  const tiles = candidates.slice(0, MAX_TILES).map((c) => c.x);
  return renderTiles(tiles, shape, (x, j) => x[j], () => [90, 90, 90]);
}

/**
 * Original | extracted for a revealed batch: the inputs on top, the candidate matched to each below, framed
 * green (exact), orange (inexact) or grey (none), as `fedleak attack` draws it.
 * @example const png = renderRevealed(inputs, metrics, rec.candidates, [28, 28, 1]);
 */
export function renderRevealed(
  inputs: Float32Array,
  metrics: Metrics,
  candidates: readonly Candidate[],
  shape: number[],
): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const byNeuron = new Map(candidates.map((c) => [c.neuron, c.x]));
  const cells: GridCell[] = metrics.perInput.slice(0, MAX_TILES).map((p) => ({
    original: inputs.subarray(p.index * size, (p.index + 1) * size),
    extracted: p.neuron === null ? null : (byNeuron.get(p.neuron) ?? null),
    status: p.exact ? 'exact' : p.neuron === null ? 'none' : 'approximate',
  }));
  return renderGrid(cells, { shape, columns: Math.min(20, Math.max(1, cells.length)) });
}

/**
 * The first `count` neurons of a dense kernel [inputDim, neurons] as images of the input's shape: red where the
 * weight is positive, blue where negative, each tile scaled by its own largest |w|. Trap weights show as a few
 * strong pixels of each sign; an honest initialisation as noise.
 * @example const png = renderLayer(kernel.data, 784, 1000, [28, 28, 1], 32);
 */
export function renderLayer(kernel: Float32Array, inputDim: number, neurons: number, shape: readonly number[], count = 32): Uint8Array {
  const n = Math.min(count, neurons);
  const columns = Array.from({ length: n }, (_, i) => {
    const col = new Float32Array(inputDim);
    let max = 0;
    for (let j = 0; j < inputDim; j++) {
      const v = kernel[j * neurons + i];
      col[j] = v;
      if (Math.abs(v) > max) max = Math.abs(v);
    }
    if (max > 0) for (let j = 0; j < inputDim; j++) col[j] /= max;
    return col;
  });
  return renderTiles(columns, shape, (x, j) => x[j], () => [255, 255, 255], true);
}

/**
 * Draws images of `shape` (HWC) side by side, up to 12 per row, zoom 2 for small images; `diverging` maps
 * [−1, 1] to blue–white–red instead of [0, 1] to grey levels. Returns PNG bytes (a 1×1 white PNG when empty).
 * Written straight into the pixel buffer and encoded without row filters: a server draws one per update.
 */
function renderTiles<T extends ArrayLike<number>>(
  images: readonly T[],
  shape: readonly number[],
  value: (x: T, j: number) => number,
  frame: () => number[],
  diverging = false,
): Uint8Array {
  const [h, w, c] = shape.length === 3 ? shape : [shape[0], shape[1] ?? 1, 1];
  const zoom = Math.max(h, w) <= 32 ? 2 : 1;
  const per = 12;
  const border = 1;
  const gap = 2;
  const tileW = w * zoom + 2 * border;
  const tileH = h * zoom + 2 * border;
  const cols = Math.max(1, Math.min(per, images.length));
  const rows = Math.max(1, Math.ceil(images.length / per));
  const width = images.length ? gap + cols * (tileW + gap) : 1;
  const height = images.length ? gap + rows * (tileH + gap) : 1;
  const png = new PNG({ width, height });
  const data = png.data;
  data.fill(255);
  const rgb = [0, 0, 0];
  images.forEach((img, k) => {
    const x0 = gap + (k % per) * (tileW + gap);
    const y0 = gap + Math.floor(k / per) * (tileH + gap);
    const f = frame();
    for (let y = 0; y < tileH; y++) for (let x = 0; x < tileW; x++) put(png, x0 + x, y0 + y, f);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = (y * w + x) * c;
        if (diverging) {
          let v = 0;
          for (let ch = 0; ch < c; ch++) v += value(img, at + ch);
          v = Math.max(-1, Math.min(1, v / c));
          const fade = Math.round(255 * (1 - Math.abs(v)));
          rgb[0] = v >= 0 ? 255 : fade;
          rgb[1] = fade;
          rgb[2] = v >= 0 ? fade : 255;
        } else {
          for (let k2 = 0; k2 < 3; k2++) {
            const v = value(img, at + (c === 3 ? k2 : 0));
            rgb[k2] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
          }
        }
        for (let dy = 0; dy < zoom; dy++) {
          for (let dx = 0; dx < zoom; dx++) put(png, x0 + border + x * zoom + dx, y0 + border + y * zoom + dy, rgb);
        }
      }
    }
  });
  return PNG.sync.write(png, { filterType: 4 });
}

function put(png: PNG, x: number, y: number, rgb: number[]): void {
  const i = (y * png.width + x) * 4;
  png.data[i] = rgb[0];
  png.data[i + 1] = rgb[1];
  png.data[i + 2] = rgb[2];
  png.data[i + 3] = 255;
}
