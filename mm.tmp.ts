import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend(process.argv[2] ?? 'wasm');
await tf.ready();
function time(name: string, f: () => tf.Tensor, reps = 5) {
  const s: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); const r = f(); r.dataSync(); r.dispose(); s.push(performance.now() - t0); }
  s.sort((a, b) => a - b);
  console.log(name.padEnd(40), s[Math.floor(reps / 2)].toFixed(1), 'ms');
}
const B = 100, I = 3000, O = 3000;
const x = tf.randomNormal([B, I]); const W = tf.randomNormal([I, O]); const dy = tf.randomNormal([B, O]);
const gflop = 2 * B * I * O / 1e9;
console.log('gflop per matmul', gflop);
time('fwd x·W', () => tf.matMul(x, W));
time('dX = dy·W^T (transposeB)', () => tf.matMul(dy, W, false, true));
time('dX = dy·transpose(W)', () => tf.tidy(() => tf.matMul(dy, tf.transpose(W))));
time('dX = transpose(W·dy^T)', () => tf.tidy(() => tf.transpose(tf.matMul(W, tf.transpose(dy)))));
time('dW = x^T·dy (transposeA)', () => tf.matMul(x, dy, true, false));
time('dW = transpose(x)·dy', () => tf.tidy(() => tf.matMul(tf.transpose(x), dy)));
time('transpose(W)', () => tf.transpose(W));
time('upload 9M', () => tf.tensor(new Float32Array(I * O), [I, O]));
