/** Tests for the ImageFolder loader: generated PNGs (sizes, crops, greyscale, alpha, order, limit, errors) and the real ImageNet sample when present. */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { isFedleakError } from '../errors.js';
import { loadImageFolder } from './imagefolder.js';
import { dataDir } from './registry.js';

let root = '';

/** A solid-colour PNG of w×h with the given channels (1 grey, 3 RGB, 4 RGBA). */
async function png(path: string, w: number, h: number, colour: number[]): Promise<void> {
  const channels = colour.length as 1 | 3 | 4;
  const raw = Buffer.alloc(w * h * channels);
  for (let i = 0; i < w * h; i++) raw.set(colour, i * channels);
  await sharp(raw, { raw: { width: w, height: h, channels } }).png().toFile(path);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'fedleak-imagefolder-'));
  // Class folders deliberately out of alphabetical creation order; "b" has more images than "a".
  await mkdir(join(root, 'b_dog'));
  await mkdir(join(root, 'a_cat'));
  await mkdir(join(root, 'empty'));
  await png(join(root, 'a_cat', '1.png'), 16, 16, [255, 0, 0]);
  await png(join(root, 'a_cat', '0.PNG'), 40, 20, [0, 0, 255]); // wide: cover crops the sides
  await png(join(root, 'b_dog', 'x.png'), 8, 8, [128]); // greyscale
  await png(join(root, 'b_dog', 'y.png'), 8, 8, [0, 255, 0, 200]); // alpha dropped
  await png(join(root, 'b_dog', 'z.png'), 8, 8, [10, 20, 30]);
  await writeFile(join(root, 'b_dog', 'notes.txt'), 'not an image');
  await writeFile(join(root, 'classes.csv'), 'ignored');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('classes are sorted sub-folders with images; examples go round-robin over classes', async () => {
  const ds = await loadImageFolder(root, { size: 4 });
  assert.deepEqual(ds.classNames, ['a_cat', 'b_dog']);
  assert.equal(ds.numClasses, 2);
  assert.equal(ds.size, 5);
  assert.deepEqual(ds.shape, [4, 4, 3]);
  assert.deepEqual([...ds.labels], [0, 1, 0, 1, 1]);
  assert.equal(ds.inputs.length, 5 * 48);
  const px = (i: number) => [...ds.inputs.subarray(i * 48, i * 48 + 3)].map((v) => Math.round(v * 255));
  assert.deepEqual(px(0), [0, 0, 255]); // a_cat/0.PNG sorts before 1.png
  assert.deepEqual(px(1), [128, 128, 128]); // greyscale expanded to RGB
  assert.deepEqual(px(2), [255, 0, 0]);
  assert.deepEqual(px(3), [0, 255, 0]); // alpha removed, not blended
  assert.deepEqual(px(4), [10, 20, 30]);
  for (const v of ds.inputs) assert.ok(v >= 0 && v <= 1);
});

test('limit keeps a round-robin prefix; channels 1 gives greyscale', async () => {
  const limited = await loadImageFolder(root, { size: 2, limit: 3 });
  assert.deepEqual([...limited.labels], [0, 1, 0]);
  const grey = await loadImageFolder(root, { size: 3, channels: 1 });
  assert.deepEqual(grey.shape, [3, 3, 1]);
  assert.equal(Math.round(grey.inputs[9] * 255), 128);
});

test('errors: missing folder, no images, undecodable image, bad size', async () => {
  await assert.rejects(loadImageFolder(join(root, 'missing')), (e) => isFedleakError(e, 'FILE_NOT_FOUND'));
  await assert.rejects(
    loadImageFolder(join(root, 'empty')),
    (e) => isFedleakError(e, 'FILE_CORRUPT') && e.hint.includes('<dir>/<class>/<image>.jpg'),
  );
  await assert.rejects(loadImageFolder(root, { size: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));

  const broken = await mkdtemp(join(tmpdir(), 'fedleak-broken-'));
  try {
    await mkdir(join(broken, 'c'));
    await png(join(broken, 'c', 'good.png'), 4, 4, [1, 2, 3]);
    await writeFile(join(broken, 'c', 'bad.jpg'), 'this is not a jpeg');
    await assert.rejects(
      loadImageFolder(broken, { size: 4 }),
      (e) => isFedleakError(e, 'FILE_CORRUPT') && e.path === join(broken, 'c', 'bad.jpg'),
    );
  } finally {
    await rm(broken, { recursive: true, force: true });
  }
});

const sample = join(dataDir(), 'imagenet-sample');

test('real ImageNet sample: 300 images, 10 classes, 224×224×3 (greyscale photos expanded)', { skip: !existsSync(sample) && 'no shared data' }, async () => {
  const ds = await loadImageFolder(sample);
  assert.equal(ds.size, 300);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual(ds.shape, [224, 224, 3]);
  assert.equal(ds.inputs.length, 300 * 224 * 224 * 3);
  assert.equal(ds.classNames?.[0], 'n01440764');
  const counts = new Array(10).fill(0);
  for (const y of ds.labels) counts[y]++;
  assert.deepEqual(counts, new Array(10).fill(30));
  // The manifest lists 6 greyscale photos: they must come out with R = G = B everywhere (a greyscale plane
  // read as if it were RGB would not), and the colour photos must not.
  const per = 224 * 224 * 3;
  let greyImages = 0;
  for (let i = 0; i < ds.size; i++) {
    const img = ds.inputs.subarray(i * per, (i + 1) * per);
    let grey = true;
    for (let p = 0; p < img.length && grey; p += 3) grey = img[p] === img[p + 1] && img[p] === img[p + 2];
    if (grey) greyImages++;
  }
  assert.equal(greyImages, 6);
});
