/**
 * Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004, eq. 13), the standard form: 11×11 Gaussian window,
 * σ = 1.5, K1 = 0.01, K2 = 0.03, data range 1, population (not sample) variances, per channel then averaged.
 */
import { FedleakError } from '../errors.js';

const RADIUS = 5; // 11 taps, as scipy's gaussian_filter with σ = 1.5 and truncate = 3.5
const SIGMA = 1.5;
const C1 = (0.01 * 1) ** 2;
const C2 = (0.03 * 1) ** 2;
const WEIGHTS = gaussianWeights();

/**
 * True when {@link ssim} can score images of this shape ([H, W] or [H, W, C] with H, W ≥ 11).
 * @example ssimSupported([28, 28, 1]) === true; ssimSupported([250]) === false
 */
export function ssimSupported(shape: readonly number[]): boolean {
  return (shape.length === 2 || shape.length === 3) && shape[0] >= 2 * RADIUS + 1 && shape[1] >= 2 * RADIUS + 1;
}

/**
 * Mean SSIM of `a` against `b`, two images stored flat in HWC order with the given `shape` ([H, W] or [H, W, C]),
 * values in [0, 1] (clip a candidate first).
 *
 * The mean is taken over the valid region, the pixels whose 11×11 window lies inside the image. That is what
 * scikit-image's `structural_similarity(a, b, data_range=1, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, channel_axis=-1)` returns: it filters the whole image with reflected borders, then
 * drops a 5-pixel border before averaging, which leaves exactly the valid pixels.
 * @throws FedleakError SHAPE_MISMATCH when the lengths do not fit `shape` or the image is smaller than 11×11.
 * @example ssim(img, img, [28, 28, 1]) // 1
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, shape: readonly number[]): number {
  const size = shape.reduce((p, q) => p * q, 1);
  if (!ssimSupported(shape)) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `SSIM needs an image shape [H, W] or [H, W, C] with H, W ≥ 11, got [${shape.join(', ')}]`,
      { path: 'ssim.shape' },
    );
  }
  if (a.length !== size || b.length !== size) {
    throw new FedleakError('SHAPE_MISMATCH', `shape [${shape.join(', ')}] needs ${size} values, got ${a.length} and ${b.length}`, {
      path: 'ssim',
    });
  }
  const [h, w] = shape;
  const channels = shape.length === 3 ? shape[2] : 1;
  const ow = w - 2 * RADIUS;
  const oh = h - 2 * RADIUS;
  // Horizontal pass: five maps (x, y, x², y², xy) of h × ow; vertical pass on the fly per output pixel column.
  const hx = new Float64Array(h * ow);
  const hy = new Float64Array(h * ow);
  const hxx = new Float64Array(h * ow);
  const hyy = new Float64Array(h * ow);
  const hxy = new Float64Array(h * ow);
  let total = 0;
  for (let c = 0; c < channels; c++) {
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < ow; q++) {
        let sx = 0;
        let sy = 0;
        let sxx = 0;
        let syy = 0;
        let sxy = 0;
        for (let t = 0; t <= 2 * RADIUS; t++) {
          const k = (r * w + q + t) * channels + c;
          const g = WEIGHTS[t];
          const x = a[k];
          const y = b[k];
          sx += g * x;
          sy += g * y;
          sxx += g * x * x;
          syy += g * y * y;
          sxy += g * x * y;
        }
        const o = r * ow + q;
        hx[o] = sx;
        hy[o] = sy;
        hxx[o] = sxx;
        hyy[o] = syy;
        hxy[o] = sxy;
      }
    }
    let sum = 0;
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        let mx = 0;
        let my = 0;
        let exx = 0;
        let eyy = 0;
        let exy = 0;
        for (let t = 0; t <= 2 * RADIUS; t++) {
          const o = (r + t) * ow + q;
          const g = WEIGHTS[t];
          mx += g * hx[o];
          my += g * hy[o];
          exx += g * hxx[o];
          eyy += g * hyy[o];
          exy += g * hxy[o];
        }
        const vx = exx - mx * mx;
        const vy = eyy - my * my;
        const cov = exy - mx * my;
        sum += ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      }
    }
    total += sum / (oh * ow);
  }
  return total / channels;
}

function gaussianWeights(): Float64Array {
  const g = new Float64Array(2 * RADIUS + 1);
  let s = 0;
  for (let t = -RADIUS; t <= RADIUS; t++) {
    g[t + RADIUS] = Math.exp(-(t * t) / (2 * SIGMA * SIGMA));
    s += g[t + RADIUS];
  }
  for (let t = 0; t < g.length; t++) g[t] /= s;
  return g;
}
