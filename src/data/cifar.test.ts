/** Tests for the CIFAR binary parser: planes to HWC, CIFAR-100 fine labels, truncation and label errors, variant guessing. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFedleakError } from '../errors.js';
import { cifarRecordCount, cifarVariantOf, parseCifar, parseClassNames } from './cifar.js';

/** One record: label byte(s), then R, G, B planes where plane c at pixel p holds (p + 7c + seed) mod 256. */
function record(labelBytes: number[], seed: number): Uint8Array {
  const rec = new Uint8Array(labelBytes.length + 3072);
  rec.set(labelBytes);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < 1024; p++) rec[labelBytes.length + c * 1024 + p] = (p + 7 * c + seed) % 256;
  }
  return rec;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('CIFAR-10: two records, planes become HWC, labels read', () => {
  const ds = parseCifar({ bytes: concat(record([3], 0), record([8], 100)), file: 'two.bin' }, { variant: 'cifar10' });
  assert.equal(ds.size, 2);
  assert.deepEqual(ds.shape, [32, 32, 3]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual([...ds.labels], [3, 8]);
  assert.equal(ds.inputs.length, 2 * 3072);
  const byte = (i: number) => Math.round(ds.inputs[i] * 255);
  for (const [example, seed] of [[0, 0], [1, 100]] as const) {
    for (const p of [0, 1, 33, 1023]) {
      // pixel p (row p>>5, col p&31) of the HWC image: R, G, B adjacent.
      const o = example * 3072 + 3 * p;
      assert.deepEqual([byte(o), byte(o + 1), byte(o + 2)], [(p + seed) % 256, (p + 7 + seed) % 256, (p + 14 + seed) % 256]);
    }
  }
  assert.equal(ds.source, 'two.bin');
});

test('CIFAR-100: fine label (second byte) with 100 classes', () => {
  const ds = parseCifar({ bytes: concat(record([4, 72], 1), record([19, 99], 2)), file: 'test.bin' }, { variant: 'cifar100' });
  assert.equal(ds.size, 2);
  assert.equal(ds.numClasses, 100);
  assert.deepEqual([...ds.labels], [72, 99]);
  assert.equal(Math.round(ds.inputs[0] * 255), 1);
  assert.equal(Math.round(ds.inputs[3072 + 1] * 255), 9);
});

test('several files join in order', () => {
  const ds = parseCifar(
    [
      { bytes: record([1], 0), file: 'a.bin' },
      { bytes: concat(record([2], 0), record([5], 0)), file: 'b.bin' },
    ],
    { variant: 'cifar10' },
  );
  assert.deepEqual([...ds.labels], [1, 2, 5]);
});

test('a length that is not whole records is FILE_TRUNCATED naming file, record size, length and whole records', () => {
  const bytes = concat(record([1], 0), record([2], 0)).subarray(0, 3073 + 1000);
  assert.throws(
    () => parseCifar({ bytes, file: 'cut.bin' }, { variant: 'cifar10' }),
    (e) =>
      isFedleakError(e, 'FILE_TRUNCATED') &&
      e.path === 'cut.bin' &&
      e.message.includes('3073-byte') &&
      e.message.includes(String(3073 + 1000)) &&
      e.message.includes('1 whole record'),
  );
  assert.throws(() => cifarRecordCount(new Uint8Array(0), 'empty.bin', 'cifar10'), (e) => isFedleakError(e, 'FILE_CORRUPT'));
});

test('labels out of range are FILE_CORRUPT', () => {
  assert.throws(
    () => parseCifar({ bytes: concat(record([0], 0), record([10], 0)), file: 'bad.bin' }, { variant: 'cifar10' }),
    (e) => isFedleakError(e, 'FILE_CORRUPT') && e.path === 'bad.bin' && /record 1/.test(e.message),
  );
  assert.throws(
    () => parseCifar({ bytes: record([3, 100], 0), file: 'bad100.bin' }, { variant: 'cifar100' }),
    (e) => isFedleakError(e, 'FILE_CORRUPT'),
  );
});

test('class names attach only when their count matches', () => {
  const names = parseClassNames('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  assert.equal(names.length, 10);
  const ds = parseCifar({ bytes: record([3], 0), file: 'x.bin' }, { variant: 'cifar10', classNames: names });
  assert.equal(ds.classNames?.[ds.labels[0]], 'cat');
  const wrong = parseCifar({ bytes: record([3], 0), file: 'x.bin' }, { variant: 'cifar10', classNames: ['a', 'b'] });
  assert.equal(wrong.classNames, undefined);
});

test('cifarVariantOf: official names first, then record-size divisibility', () => {
  assert.equal(cifarVariantOf('dir/data_batch_3.bin', 7), 'cifar10');
  assert.equal(cifarVariantOf('test_batch.bin', 0), 'cifar10');
  assert.equal(cifarVariantOf('train.bin', 0), 'cifar100');
  assert.equal(cifarVariantOf('x.bin', 3073 * 5), 'cifar10');
  assert.equal(cifarVariantOf('x.bin', 3074 * 5), 'cifar100');
  assert.equal(cifarVariantOf('x.bin', 3073 * 3074), undefined);
  assert.equal(cifarVariantOf('x.bin', 1000), undefined);
});
