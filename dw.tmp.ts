import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './src/tensor/backend.ts';
await setupBackend('wasm');
function time(name: string, f: () => tf.Tensor, reps = 7) {
  const s: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); const r = tf.tidy(f); r.dataSync(); r.dispose(); s.push(performance.now() - t0); }
  s.sort((a, b) => a - b); console.log(name.padEnd(40), s.map(v=>v.toFixed(0)).join(' '));
}
for (const [I, O] of [[3000, 3000], [1000, 3000], [3000, 1000]]) {
const a = tf.randomNormal([100, I]); const g = tf.randomNormal([100, O]); const W = tf.randomNormal([I, O]);
console.log(I, O);
time('fwd a·W', () => tf.matMul(a, W));
time('dW = T(a)·g', () => tf.matMul(tf.transpose(a), g));
time('dW = T(a)·g (no readback)', () => tf.sum(tf.matMul(tf.transpose(a), g)));
time('dWt = T(g)·a', () => tf.matMul(tf.transpose(g), a));
time('dX = T(W·T(g))', () => tf.transpose(tf.matMul(W, tf.transpose(g))));
tf.dispose([a, g, W]);
}
