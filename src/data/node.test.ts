/** Tests for the Node readers: gzipped and plain IDX from disk, split picking, CIFAR folders, clear FILE_NOT_FOUND; real data when present. */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isFedleakError } from '../errors.js';
import { maybeGunzip, readCifar, readIdx, readIdxDataset } from './node.js';
import { dataDir } from './registry.js';

const shared = dataDir();
const haveShared = existsSync(shared);
let tmp = '';

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fedleak-node-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function cifarRecord(label: number, fill: number): Uint8Array {
  const rec = new Uint8Array(3073).fill(fill);
  rec[0] = label;
  return rec;
}

test('readIdxDataset: gzipped and plain files give the same dataset', async () => {
  const dir = join(tmp, 'idx');
  await mkdir(dir);
  const images = idx([3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
  const labels = idx([3], [2, 0, 1]);
  await writeFile(join(dir, 'train-images-idx3-ubyte'), images);
  await writeFile(join(dir, 'train-labels-idx1-ubyte'), labels);
  await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images));
  await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels));
  const plain = await readIdxDataset(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
  const gz = await readIdxDataset(join(dir, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
  assert.deepEqual(gz.inputs, plain.inputs);
  assert.deepEqual([...gz.labels], [2, 0, 1]);
  assert.deepEqual(gz.shape, [2, 2, 1]);
  assert.equal(gz.inputs[11], 1);
  assert.equal(gz.name, 'idx');

  // Folder: test split by default, train on request, all = train then test.
  assert.equal((await readIdx(dir)).source, join(dir, 't10k-images-idx3-ubyte.gz'));
  assert.equal((await readIdx(dir, { split: 'train' })).source, join(dir, 'train-images-idx3-ubyte'));
  assert.equal((await readIdx(dir, { split: 'all' })).size, 6);
  // A single file finds its partner by name, from either side.
  assert.equal((await readIdx(join(dir, 't10k-images-idx3-ubyte.gz'))).size, 3);
  assert.equal((await readIdx(join(dir, 't10k-labels-idx1-ubyte.gz'))).size, 3);
});

test('readIdx: a missing labels file is FILE_NOT_FOUND naming it', async () => {
  const dir = join(tmp, 'nolabels');
  await mkdir(dir);
  await writeFile(join(dir, 't10k-images-idx3-ubyte'), idx([1, 1, 1], [0]));
  await assert.rejects(readIdx(dir), (e) => isFedleakError(e, 'FILE_NOT_FOUND') && e.path === join(dir, 't10k-labels-idx1-ubyte'));
  await assert.rejects(readIdx(dir, { split: 'train' }), (e) => isFedleakError(e, 'FILE_NOT_FOUND') && /--split test/.test(e.hint));
  await assert.rejects(readIdx(join(tmp, 'nowhere')), (e) => isFedleakError(e, 'FILE_NOT_FOUND'));
});

test('maybeGunzip: a cut-off gzip stream is FILE_TRUNCATED; plain bytes pass through', () => {
  const gz = gzipSync(new Uint8Array(5000).fill(7));
  assert.throws(() => maybeGunzip(gz.subarray(0, gz.length - 10), 'cut.gz'), (e) => isFedleakError(e, 'FILE_TRUNCATED') && e.path === 'cut.gz');
  const plain = new Uint8Array([0, 0, 8, 1]);
  assert.equal(maybeGunzip(plain, 'p'), plain);
});

test('readCifar: folder splits, class names from batches.meta.txt, FILE_NOT_FOUND for a missing split', async () => {
  const dir = join(tmp, 'cifar');
  await mkdir(dir);
  await writeFile(join(dir, 'data_batch_1.bin'), cifarRecord(1, 10));
  await writeFile(join(dir, 'data_batch_2.bin'), cifarRecord(2, 20));
  await writeFile(join(dir, 'data_batch_10.bin'), cifarRecord(9, 20));
  await writeFile(join(dir, 'test_batch.bin'), cifarRecord(3, 30));
  await writeFile(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  const test_ = await readCifar(dir);
  assert.deepEqual([...test_.labels], [3]);
  assert.equal(test_.classNames?.[3], 'cat');
  assert.deepEqual([...(await readCifar(dir, { split: 'train' })).labels], [1, 2, 9]);
  assert.deepEqual([...(await readCifar(dir, { split: 'all' })).labels], [1, 2, 9, 3]);
  assert.equal((await readCifar(join(dir, 'data_batch_2.bin'))).labels[0], 2);

  const trainOnly = join(tmp, 'cifar-train');
  await mkdir(trainOnly);
  await writeFile(join(trainOnly, 'data_batch_1.bin'), cifarRecord(4, 0));
  assert.deepEqual([...(await readCifar(trainOnly)).labels], [4]);
  await assert.rejects(readCifar(trainOnly, { split: 'test' }), (e) => isFedleakError(e, 'FILE_NOT_FOUND') && /test_batch\.bin/.test(e.message));
});

test('real MNIST IDX (shared data): 10,000 test digits, first labels 7,2,1,0,4,1,4,9,5,9', { skip: !haveShared && 'no shared data' }, async () => {
  const ds = await readIdx(join(shared, 'mnist'));
  assert.equal(ds.size, 10000);
  assert.deepEqual(ds.shape, [28, 28, 1]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual([...ds.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const counts = new Array(10).fill(0);
  for (const y of ds.labels) counts[y]++;
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  for (const v of ds.inputs.subarray(0, 784 * 10)) assert.equal(v, Math.fround(Math.round(v * 255) / 255));
});

test('real CIFAR-10 (shared data): 1,017 records, image 0 is a cat whose first pixel has R = 158/255', { skip: !haveShared && 'no shared data' }, async () => {
  const ds = await readCifar(join(shared, 'cifar-10-batches-bin', 'test_batch.bin'));
  assert.equal(ds.size, 1017);
  assert.equal(ds.labels[0], 3);
  assert.equal(ds.classNames?.[3], 'cat');
  assert.equal(ds.labels[1], 8);
  assert.equal(ds.inputs[0], Math.fround(158 / 255));
  // The first row's R values are 158,159,165,166,…: in HWC they sit 3 apart.
  assert.deepEqual([0, 3, 6, 9].map((i) => Math.round(ds.inputs[i] * 255)), [158, 159, 165, 166]);
  assert.equal(Math.round(ds.inputs[3072] * 255), 235);
  const counts = new Array(10).fill(0);
  for (const y of ds.labels) counts[y]++;
  assert.deepEqual(counts, [105, 93, 100, 104, 92, 87, 114, 102, 110, 110]);
});
