/** Loader for ImageFolder trees (`<dir>/<class>/<image>.jpg|png`), decoded and centre-cropped with sharp. Node only. */

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { FedleakError } from '../errors.js';
import type { Dataset } from '../types.js';
import { UNIT_BYTES } from './unit-bytes.js';

/**
 * Options for `loadImageFolder`.
 * @example loadImageFolder(dir, { size: 64, limit: 500 });
 */
export interface ImageFolderOptions {
  /** Side of the square images after resizing, in pixels; default 224. */
  size?: number;
  /** Keep at most this many images, taken round-robin over classes so a small limit still covers them all. */
  limit?: number;
  /** 3 for RGB (default; greyscale photos are expanded), 1 for greyscale. */
  channels?: 1 | 3;
  /** What `Dataset.name` says; default `imagefolder`. */
  name?: string;
}

const IMAGE_FILE = /\.(jpe?g|png)$/i;
// sharp decodes on libvips worker threads; a handful in flight keeps them busy without holding every file in memory.
const CONCURRENCY = 4;

/**
 * Loads an ImageFolder tree: each sub-folder (sorted by name) is a class, each `.jpg`/`.jpeg`/`.png` in it
 * (any case, sorted) an example. Images are converted to RGB (some ImageNet photos are greyscale), resized
 * so the short side is `size` and centre-cropped to size×size (`fit: 'cover'`), then scaled to [0, 1].
 * Examples are ordered round-robin over classes (class 0's first image, class 1's first, …), so any prefix,
 * and `limit`, holds every class. Sub-folders with no images are not classes.
 *
 * @example
 * const ds = await loadImageFolder('../shared/data/imagenet-sample', { size: 64, limit: 100 });
 * ds.shape; // [64, 64, 3]
 */
export async function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<Dataset> {
  const size = opts.size ?? 224;
  const channels = opts.channels ?? 3;
  if (!Number.isInteger(size) || size < 1 || size > 4096) {
    throw new FedleakError('BAD_ARGUMENT', `expected an image size in pixels from 1 to 4096, got ${size}`, { path: 'size' });
  }
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new FedleakError('BAD_ARGUMENT', `expected a limit ≥ 1 (a whole number), got ${opts.limit}`, { path: 'limit' });
  }
  if (channels !== 1 && channels !== 3) {
    throw new FedleakError('BAD_ARGUMENT', `expected 1 or 3 channels, got ${String(channels)}`, { path: 'channels' });
  }

  const classes = await listClasses(dir);
  const files = roundRobin(classes.map((c) => c.files)).slice(0, opts.limit ?? Infinity);
  const per = size * size * channels;
  const inputs = new Float32Array(files.length * per);
  const labels = new Int32Array(files.length);

  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // Once one image fails the load is lost; stop the other workers instead of decoding the rest for nothing.
    while (!failed && next < files.length) {
      const i = next++;
      const { file, group } = files[i];
      let pixels: Uint8Array;
      try {
        pixels = await decode(file, size, channels);
      } catch (e) {
        failed = true;
        throw e;
      }
      for (let p = 0; p < per; p++) inputs[i * per + p] = UNIT_BYTES[pixels[p]];
      labels[i] = group;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));

  return {
    name: opts.name ?? 'imagefolder',
    kind: 'image',
    shape: [size, size, channels],
    size: files.length,
    inputs,
    labels,
    numClasses: classes.length,
    classNames: classes.map((c) => c.name),
    source: dir,
  };
}

/** The class folders of `dir` that hold images, sorted, each with its sorted image paths. */
async function listClasses(dir: string): Promise<{ name: string; files: string[] }[]> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new FedleakError('FILE_NOT_FOUND', 'expected an image folder laid out as <dir>/<class>/<image>.jpg, found nothing there', {
      path: dir,
    });
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const classNames = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodePoint);
  const classes: { name: string; files: string[] }[] = [];
  for (const name of classNames) {
    const inner = await readdir(join(dir, name), { withFileTypes: true });
    const files = inner
      .filter((e) => e.isFile() && IMAGE_FILE.test(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort(byCodePoint)
      .map((f) => join(dir, name, f));
    if (files.length > 0) classes.push({ name, files });
  }
  if (classes.length === 0) {
    throw new FedleakError('FILE_CORRUPT', 'found no .jpg, .jpeg or .png images in any sub-folder', {
      path: dir,
      hint: 'lay the images out as <dir>/<class>/<image>.jpg, one sub-folder per class',
    });
  }
  return classes;
}

/** Decodes one image to `size×size×channels` bytes, HWC. */
async function decode(file: string, size: number, channels: 1 | 3): Promise<Uint8Array> {
  try {
    const { data, info } = await sharp(file)
      // Drop alpha the way PIL's convert('RGB') does, without compositing onto a background.
      .removeAlpha()
      .toColourspace(channels === 3 ? 'srgb' : 'b-w')
      .resize(size, size, { fit: 'cover', position: 'centre' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== channels) {
      throw new Error(`sharp returned ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×${channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (cause) {
    throw new FedleakError('FILE_CORRUPT', `cannot decode the image: ${(cause as Error).message}`, {
      path: file,
      hint: 'remove or replace the file; only JPEG and PNG images are read',
      cause,
    });
  }
}

/** Interleaves the lists: a[0][0], a[1][0], …, a[0][1], a[1][1], …; shorter lists drop out when empty. */
function roundRobin(lists: string[][]): { file: string; group: number }[] {
  const out: { file: string; group: number }[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let k = 0; k < longest; k++) {
    lists.forEach((l, group) => {
      if (k < l.length) out.push({ file: l[k], group });
    });
  }
  return out;
}

// Locale-independent ordering, so class indices are the same on every machine (torchvision sorts the same way).
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
