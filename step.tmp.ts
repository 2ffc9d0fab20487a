import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
const backend = process.argv[2] ?? 'wasm';
const fix = process.argv[3] === 'fix';
let manual = false;
await tf.setBackend(backend); await tf.ready();
const T = (t: tf.Tensor) => tf.transpose(t);
function mm(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): tf.Tensor {
  if (!tA && !tB) return tf.matMul(a, b);
  if (!tA && tB) return T(tf.matMul(b, T(a))); // (a b^T) = (b a^T)^T
  if (tA && !tB) return tf.matMul(T(a), b);
  return T(tf.matMul(b, a));
}
if (fix) tf.registerGradient({ kernelName: 'BatchMatMul', inputsToSave: ['a', 'b'], gradFunc: (dy: any, saved: any, attrs: any) => {
  const [a, b] = saved; const { transposeA, transposeB } = attrs;
  if (!transposeA && !transposeB) return { a: () => mm(dy, b, false, true), b: () => mm(a, dy, true, false) };
  throw new Error('x');
}} as any);
const B = 100, D = 784, widths = [1000, 3000, 3000, 2000, 1000, 10];
const shapes: number[][] = []; let prev = D;
for (const w of widths) { shapes.push([prev, w], [w]); prev = w; }
const arrays = shapes.map((s) => { const n = s.reduce((a, b) => a * b, 1); const a = new Float32Array(n); const lim = 1 / Math.sqrt(s[0]); for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * (s.length === 2 ? lim : 0.01); return a; });
const xs = new Float32Array(B * D).map(() => Math.random());
const ys = new Int32Array(B).map(() => Math.floor(Math.random() * 10));
function step() {
  const t0 = performance.now();
  const ps = arrays.map((a, i) => tf.tensor(a, shapes[i]));
  const t1 = performance.now();
  const out = tf.tidy(() => {
    const x = tf.tensor2d(xs, [B, D]);
    const oh = tf.oneHot(tf.tensor1d(ys, 'int32'), 10);
    if (manual) {
      const acts: tf.Tensor[] = [x];
      let h: tf.Tensor = x;
      for (let l = 0; l < widths.length; l++) {
        h = tf.add(tf.matMul(h, ps[2 * l]), ps[2 * l + 1]);
        if (l < widths.length - 1) { h = tf.relu(h); acts.push(h); }
      }
      let g: tf.Tensor = tf.div(tf.sub(tf.softmax(h), oh), B);
      const grads: tf.Tensor[] = new Array(ps.length);
      for (let l = widths.length - 1; l >= 0; l--) {
        const a = acts[l];
        grads[2 * l] = tf.matMul(T(a), g);
        grads[2 * l + 1] = tf.sum(g, 0);
        if (l > 0) { g = tf.mul(T(tf.matMul(ps[2 * l], T(g))), tf.step(a)); }
      }
      return grads;
    }
    const f = (...p: tf.Tensor[]) => {
      let h: tf.Tensor = x;
      for (let l = 0; l < widths.length; l++) {
        h = tf.add(tf.matMul(h, p[2 * l]), p[2 * l + 1]);
        if (l < widths.length - 1) h = tf.relu(h);
      }
      return tf.losses.softmaxCrossEntropy(oh, h) as tf.Scalar;
    };
    return tf.grads(f)(ps);
  });
  const t2 = performance.now();
  const res = out.map((t) => t.dataSync());
  const t3 = performance.now();
  tf.dispose(out); tf.dispose(ps);
  return [t1 - t0, t2 - t1, t3 - t2, t3 - t0];
}
for (let r = 0; r < 10; r++) { manual = process.argv[4] === "manual"; console.log(manual ? "manual" : "auto  ", step().map((v) => v.toFixed(0)).join(" "), tf.memory().numTensors); }
