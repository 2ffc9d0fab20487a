/** The tensor layer: backend set-up, wasm fixes (MatMul gradient, conv2d gradient) and the seeded Rng. */
export { backendNames, setupBackend, type BackendName } from './backend.js';
export { matMulGradFixEnabled, setMatMulGradFix } from './matmul-grad.js';
export { conv2dWithGrad, type ConvPad } from './conv.js';
export { Rng, deriveSeed } from './rng.js';
