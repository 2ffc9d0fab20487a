import { Rng } from './src/tensor/rng.ts';
const rng = new Rng(1); const n = 20_800_000; const a = new Float32Array(n);
let t = performance.now(); for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * 0.03; console.log('uniform', performance.now() - t);
t = performance.now(); for (let i = 0; i < n; i++) a[i] = ((rng.nextU32() >>> 8) * (1 / 16777216) * 2 - 1) * 0.03; console.log('u32', performance.now() - t);
