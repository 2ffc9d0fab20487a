/** The evaluation layer: the only code that reads ground truth. Scores reconstructions against the batch they came from. */
export { evaluate, type Metrics, type InputResult, type Truth, type EvaluateOptions } from './metrics.js';
export { matchExact, unmatchedCount, isExact, toBytes, maxAbsError, type ExactMatches } from './exact.js';
export { psnr, psnrFromMse, mse } from './psnr.js';
export { ssim, ssimSupported } from './ssim.js';
export { hungarian, type Assignment } from './hungarian.js';
