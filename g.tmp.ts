import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './src/tensor/backend.ts';
import { setMatMulGradFix } from './src/tensor/matmul-grad.ts';
import { Rng } from './src/tensor/rng.ts';
import { modelSpec } from './src/model/spec.ts';
import { initParams } from './src/model/init.ts';
import { computeGradient } from './src/fl/gradient.ts';
await setupBackend((process.argv[2] ?? 'wasm') as 'wasm');
if (process.argv[3] === 'nofix') setMatMulGradFix(false);
const spec = modelSpec('fc', 784, 10);
let t = performance.now(); const params = initParams(spec, new Rng(1)); console.log('init', performance.now() - t);
const rng = new Rng(2); const x = new Float32Array(100 * 784).map(() => rng.uniform()); const y = new Int32Array(100).map(() => rng.int(10));
for (let i = 0; i < Number(process.argv[4] ?? 6); i++) { t = performance.now(); computeGradient(spec, params, x, y, 100); console.log('step', (performance.now() - t).toFixed(0), tf.memory().numTensors); }
