import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const T = (t: tf.Tensor) => tf.transpose(t);
function mm(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): tf.Tensor {
  if (!tA && !tB) return tf.matMul(a, b);
  if (!tA && tB) return T(tf.matMul(b, T(a)));
  if (tA && !tB) return tf.matMul(T(a), b);
  return T(tf.matMul(b, a));
}
tf.registerGradient({ kernelName: 'BatchMatMul', inputsToSave: ['a', 'b'], gradFunc: (dy: any, saved: any, attrs: any) => {
  const [a, b] = saved;
  return { a: () => mm(dy, b, false, true), b: () => mm(a, dy, true, false) };
}} as any);
const B = 100, D = 784, widths = [1000, 3000, 3000, 2000, 1000, 10];
const shapes: number[][] = []; let prev = D;
for (const w of widths) { shapes.push([prev, w], [w]); prev = w; }
const ps = shapes.map((s) => tf.randomUniform(s, -0.03, 0.03));
const x = tf.randomUniform([B, D]);
const oh = tf.oneHot(tf.tensor1d(new Int32Array(B), 'int32'), 10);
const f = (...p: tf.Tensor[]) => {
  let h: tf.Tensor = x;
  for (let l = 0; l < widths.length; l++) {
    h = tf.add(tf.matMul(h, p[2 * l]), p[2 * l + 1]);
    if (l < widths.length - 1) h = tf.relu(h);
  }
  return tf.losses.softmaxCrossEntropy(oh, h) as tf.Scalar;
};
for (let r = 0; r < 3; r++) {
const info = await tf.profile(() => { const g = tf.grads(f)(ps); g.forEach((t) => t.dataSync()); return g; });
const agg = new Map<string, number>();
for (const k of info.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k}:${v.toFixed(0)}`).join(' '));
if (r === 2) for (const k of info.kernels) if ((k.kernelTimeMs as number) > 5) console.log(k.name, k.inputShapes, k.outputShapes, (k.kernelTimeMs as number).toFixed(1));
}
