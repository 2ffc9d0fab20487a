/** `npm run bench`: read-out and training-step timings, medians and ratios, written to bench/results/*.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchReadout } from './readout.js';
import { benchTrainStep } from './train-step.js';
import { benchPeel } from './peel.js';
import { benchImagenet } from './imagenet.js';
import { benchCnnReadout, benchCnnStep } from './cnn.js';
import { benchText } from './text.js';
import { gitCommit, machineInfo } from './meta.js';

const quick = process.argv.includes('--quick');
const repeats = quick ? 3 : 11;

const machine = machineInfo();

const results: Record<string, unknown> = {};
const log = (name: string, r: { medianMs: number }) => {
  results[name] = r;
  console.log(`${name.padEnd(44)} median ${r.medianMs.toFixed(3)} ms`);
};

// Read-out of one update, MNIST-sized (784 × 1000), B = 100: target ≤ 2 ms; one pass over 784k floats ≈ 0.3 ms.
const readout = benchReadout({ inputDim: 784, neurons: 1000, batchSize: 100, repeats: repeats * 5 });
log('readout mnist N=1000 B=100', readout);
log('readout mnist N=1000 B=100 reused buffer', benchReadout({ inputDim: 784, neurons: 1000, batchSize: 100, repeats: repeats * 5, reuseBuffer: true }));
log('readout cifar N=1000 B=100', benchReadout({ inputDim: 3072, neurons: 1000, batchSize: 100, repeats: repeats * 3 }));

// Training step of the paper's FC net (784 → 1000 → 3000 → 3000 → 2000 → 1000 → 10), B = 100, one thread.
const wasm = await benchTrainStep({ backend: 'wasm', batchSize: 100, neurons: 1000, inputDim: 784, repeats });
log('train-step fc B=100 wasm', wasm);
const cpu = await benchTrainStep({ backend: 'cpu', batchSize: 100, neurons: 1000, inputDim: 784, repeats: quick ? 2 : 3 });
log('train-step fc B=100 cpu', cpu);
// FedSGD step of the paper's CNN at width 1/32 (conv 4 → 8 → 16, dense0 16384 × 1000) on CIFAR-sized inputs, B = 100.
const cnnOpts = { width: 1 / 32, shape: [32, 32, 3] as [number, number, number], batchSize: 100, neurons: 1000 };
const cnnWasm = await benchCnnStep({ ...cnnOpts, backend: 'wasm', repeats });
log('train-step cnn w=1/32 cifar B=100 wasm', cnnWasm);
const cnnCpu = await benchCnnStep({ ...cnnOpts, backend: 'cpu', repeats: quick ? 1 : 2 });
log('train-step cnn w=1/32 cifar B=100 cpu', cnnCpu);
log('readout cnn pass-through w=1/32 cifar N=1000 B=100', await benchCnnReadout({ ...cnnOpts, backend: 'wasm', repeats: repeats * 2 }));
// Read-out including certified peeling (degree design), paper's FC net, N = 1000, B = 100; target ≤ 50 ms (CIFAR-10).
for (const dataset of ['mnist', 'cifar10'] as const) {
  try {
    const r = await benchPeel({ dataset, neurons: 1000, batchSize: 100, repeats: quick ? 2 : 10, design: 'degree' });
    log(`degree+peel ${dataset} N=1000 B=100 (R ${r.plainRecall.toFixed(2)} → ${r.recall.toFixed(2)}, wrong ${r.wronglyCertified})`, r);
  } catch (e) {
    console.log(`degree+peel ${dataset}: skipped (${(e as Error).message})`);
  }
}
// The same with sparse rows (512 non-zero weights per row, DegreeOptions.nonZeros): pre-activations cost 1/6 of the
// multiply-adds, but run in JavaScript (gathers), where dense rows run in SIMD.
try {
  const r = await benchPeel({ dataset: 'cifar10', neurons: 1000, batchSize: 100, repeats: quick ? 2 : 10, design: 'degree', designOptions: { nonZeros: 512 } });
  log(`degree(nonZeros 512)+peel cifar10 N=1000 B=100 (R ${r.plainRecall.toFixed(2)} → ${r.recall.toFixed(2)}, wrong ${r.wronglyCertified})`, r);
} catch (e) {
  console.log(`degree(nonZeros 512)+peel cifar10: skipped (${(e as Error).message})`);
}
// ImageNet size: 224×224×3 photos, first layer 150,528 × 1000 (fc-small), B = 100: read-out with peeling and the
// process's peak memory (dataset, crafted model, client gradient and peeling together).
try {
  const r = await benchImagenet({ batchSize: 100, repeats: quick ? 1 : 2 });
  log(`degree+peel imagenet-sample 224x224 N=1000 B=100 (R ${r.recall.toFixed(2)}, peak RSS ${r.peakRssMiB.toFixed(0)} MiB)`, r);
} catch (e) {
  console.log(`degree+peel imagenet-sample: skipped (${(e as Error).message})`);
}

// The IMDB text model (embedding 10,000 × 250 → dense 62,500 × 1000 → 1) under trap weights, B = 100: one FedSGD
// step on wasm, and the read-out with the lookup of every extracted row in the embedding table.
{
  const r = await benchText({ batchSize: 100, neurons: 1000, repeats: quick ? 1 : 3 });
  log(`train-step text B=100 wasm (peak RSS ${r.peakRssMiB.toFixed(0)} MiB, leaked tensors ${r.leakedTensors})`, r);
  log(`readout+lookup text N=1000 B=100 (${r.fullyDecoded} candidates fully decoded)`, { medianMs: r.readoutMedianMs });
}

const pytorchReferenceMs = 215; // PAPER.md §8: PyTorch CPU, one thread, same net and batch: 200–230 ms.
const ratios = {
  wasmOverCpu: cpu.medianMs / wasm.medianMs,
  cnnWasmOverCpu: cnnCpu.medianMs / cnnWasm.medianMs,
  pytorchOverWasm: pytorchReferenceMs / wasm.medianMs,
  readoutOverOnePassFloor: readout.medianMs / 0.3,
};
console.log('ratios', ratios);

const stamp = new Date().toISOString();
const out = { stamp, commit: gitCommit(), machine, quick, results, ratios, pytorchReferenceMs };
mkdirSync('bench/results', { recursive: true });
const file = join('bench/results', `bench-${stamp.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
writeFileSync(join('bench/results', 'latest.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${file}`);
