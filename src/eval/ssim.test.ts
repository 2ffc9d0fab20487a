import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ssim, ssimSupported } from './ssim.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';

/** Images flat HWC. */
function image(h: number, w: number, c: number, f: (y: number, x: number, ch: number) => number): Float64Array {
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = f(y, x, ch);
  return out;
}

/** SSIM written the slow, direct way: a full 11×11 window per valid pixel, weights exp(−r²/(2·1.5²)) normalised. */
function slowSsim(a: Float64Array, b: Float64Array, h: number, w: number, c: number): number {
  const g: number[][] = [];
  let s = 0;
  for (let u = -5; u <= 5; u++) {
    g.push([]);
    for (let v = -5; v <= 5; v++) {
      const e = Math.exp(-(u * u + v * v) / (2 * 1.5 * 1.5));
      g[u + 5].push(e);
      s += e;
    }
  }
  let total = 0;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let y = 5; y < h - 5; y++) {
      for (let x = 5; x < w - 5; x++) {
        let mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (let u = -5; u <= 5; u++) {
          for (let v = -5; v <= 5; v++) {
            const k = ((y + u) * w + (x + v)) * c + ch;
            const wt = g[u + 5][v + 5] / s;
            mx += wt * a[k];
            my += wt * b[k];
            xx += wt * a[k] * a[k];
            yy += wt * b[k] * b[k];
            xy += wt * a[k] * b[k];
          }
        }
        const c1 = 1e-4, c2 = 9e-4;
        sum += ((2 * mx * my + c1) * (2 * (xy - mx * my) + c2)) / ((mx * mx + my * my + c1) * (xx - mx * mx + yy - my * my + c2));
      }
    }
    total += sum / ((h - 10) * (w - 10));
  }
  return total / c;
}

const a = image(16, 13, 3, (y, x, c) => ((y * 7 + x * 13 + c * 29) % 31) / 30);
const b = image(16, 13, 3, (y, x, c) => ((y * y + 3 * x + 5 * c) % 17) / 16);

test('SSIM of an image with itself is 1', () => {
  assert.ok(Math.abs(ssim(a, a, [16, 13, 3]) - 1) < 1e-12);
});

test('SSIM matches the scikit-image algorithm (scipy gaussian_filter, σ 1.5, truncate 3.5, crop 5) on fixed images', () => {
  // Values computed with numpy/scipy following skimage.metrics.structural_similarity(data_range=1,
  // gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=-1).
  assert.ok(Math.abs(ssim(a, b, [16, 13, 3]) - -0.07069351894849361) < 1e-12);
  const clippedShift = a.map((v) => Math.min(1, v + 0.1));
  assert.ok(Math.abs(ssim(a, clippedShift, [16, 13, 3]) - 0.9827795550990032) < 1e-12);
  const a1 = image(16, 13, 1, (y, x) => a[(y * 13 + x) * 3]);
  const b1 = image(16, 13, 1, (y, x) => b[(y * 13 + x) * 3]);
  assert.ok(Math.abs(ssim(a1, b1, [16, 13]) - -0.26321467235697366) < 1e-12);
});

test('SSIM matches a slow direct 2-D implementation on random images', () => {
  const rng = new Rng(4);
  const x = image(14, 17, 2, () => rng.uniform());
  const y = x.map((v) => Math.min(1, Math.max(0, v + 0.2 * (rng.uniform() - 0.5))));
  assert.ok(Math.abs(ssim(x, y, [14, 17, 2]) - slowSsim(x, y, 14, 17, 2)) < 1e-12);
});

test('a constant shift keeps the structure terms at 1, leaving only the luminance term', () => {
  const x = image(12, 12, 1, (y, z) => ((y * 5 + z * 3) % 10) / 10 * 0.8); // in [0, 0.8], so x + 0.15 is unclipped
  const shifted = x.map((v) => v + 0.15);
  // Only the centre pixel (5, 5)… (6, 6) region is valid: 2 × 2 pixels. Luminance term per pixel from the window means.
  let expected = 0;
  for (let y = 5; y < 7; y++) {
    for (let z = 5; z < 7; z++) {
      let mx = 0, s = 0;
      for (let u = -5; u <= 5; u++) {
        for (let v = -5; v <= 5; v++) {
          const e = Math.exp(-(u * u + v * v) / 4.5);
          mx += e * x[(y + u) * 12 + (z + v)];
          s += e;
        }
      }
      mx /= s;
      const my = mx + 0.15;
      expected += (2 * mx * my + 1e-4) / (mx * mx + my * my + 1e-4) / 4;
    }
  }
  assert.ok(Math.abs(ssim(x, shifted, [12, 12, 1]) - expected) < 1e-12);
  assert.ok(expected < 0.99);
});

test('SSIM needs an image of at least 11 × 11', () => {
  assert.ok(ssimSupported([28, 28, 1]) && ssimSupported([11, 11]));
  assert.ok(!ssimSupported([10, 28, 1]) && !ssimSupported([784]) && !ssimSupported([2, 2, 2, 2]));
  assert.throws(() => ssim([1], [1], [1, 1]), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(() => ssim(a, b.subarray(1), [16, 13, 3]), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
