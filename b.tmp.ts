import { benchTrainStep } from './bench/train-step.ts';
const base = { batchSize: 100, neurons: 1000, inputDim: 784 };
const show = (name: string, r: { medianMs: number; samplesMs: number[] }) => console.log(name.padEnd(28), r.medianMs.toFixed(0), 'ms  [', r.samplesMs.map((v) => v.toFixed(0)).join(' '), ']');
const which = process.argv[2];
if (which === 'wasm') show('wasm fix', await benchTrainStep({ ...base, backend: 'wasm', repeats: 11 }));
if (which === 'wasm-nofix') show('wasm no fix', await benchTrainStep({ ...base, backend: 'wasm', repeats: 5, matMulGradFix: false }));
if (which === 'cpu') show('cpu', await benchTrainStep({ ...base, backend: 'cpu', repeats: 3 }));
if (which === 'cpu-nofix') show('cpu no fix', await benchTrainStep({ ...base, backend: 'cpu', repeats: 3, matMulGradFix: false }));
