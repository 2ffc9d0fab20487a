/** Node file IO for the pure parsers: reads (and gunzips) IDX and CIFAR files, picks splits in dataset folders, reports missing files clearly. */

import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FedleakError } from '../errors.js';
import type { Dataset } from '../types.js';
import { cifarVariantOf, parseCifar, parseClassNames, type CifarFile, type CifarVariant } from './cifar.js';
import type { DatasetSplit } from './formats.js';
import { idxToDataset, parseIdx } from './idx.js';
import { concatDatasets } from './subset.js';

/**
 * An IDX images file name: `t10k-images-idx3-ubyte`, `emnist-letters-train-images-idx3-ubyte.gz`, …
 * @example IDX_IMAGES_FILE.test('train-images-idx3-ubyte.gz'); // true
 */
export const IDX_IMAGES_FILE = /images[-.]idx\d-ubyte(\.gz)?$/i;
const IDX_LABELS_FILE = /labels[-.]idx1-ubyte(\.gz)?$/i;

/**
 * Reads a whole file, or throws FILE_NOT_FOUND naming the path and what should have been there.
 * @example const bytes = await readFileBytes('data/mnist/t10k-labels-idx1-ubyte.gz', 'an IDX labels file');
 */
export async function readFileBytes(path: string, expected: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const found = code === 'EISDIR' ? 'a folder' : code === 'ENOENT' ? 'nothing' : `an unreadable entry (${code})`;
    throw new FedleakError('FILE_NOT_FOUND', `expected ${expected}, found ${found} at this path`, { path, cause });
  }
}

/**
 * Returns the bytes gunzipped when they start with the gzip magic (1f 8b), else unchanged.
 * @example const raw = maybeGunzip(await readFileBytes(p, 'an IDX file'), p);
 */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (cause) {
    // zlib reports a cut-off stream as Z_BUF_ERROR ("unexpected end of file"); anything else is damage.
    const truncated = (cause as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
    throw new FedleakError(
      truncated ? 'FILE_TRUNCATED' : 'FILE_CORRUPT',
      `cannot gunzip: ${(cause as Error).message}`,
      { path: file, cause },
    );
  }
}

/**
 * Options for the IDX readers.
 * @example readIdx('data/emnist', { name: 'emnist-letters', transpose: true });
 */
export interface IdxReadOptions {
  /** `Dataset.name`; default the name of the folder the files are in. */
  name?: string;
  /** Transpose images (EMNIST layout); default: true when the file name starts with `emnist`. */
  transpose?: boolean;
}

/**
 * Reads an IDX images file and its labels file (either may be gzipped) into a Dataset.
 *
 * @example
 * const ds = await readIdxDataset('data/mnist/t10k-images-idx3-ubyte.gz', 'data/mnist/t10k-labels-idx1-ubyte.gz');
 * ds.size; // 10000
 */
export async function readIdxDataset(imagesPath: string, labelsPath: string, opts: IdxReadOptions = {}): Promise<Dataset> {
  const [imgBytes, labBytes] = await Promise.all([
    readFileBytes(imagesPath, 'an IDX images file (magic 0x00000803)'),
    readFileBytes(labelsPath, `an IDX labels file (magic 0x00000801) to go with ${basename(imagesPath)}`),
  ]);
  const images = parseIdx(maybeGunzip(imgBytes, imagesPath), imagesPath, 3);
  const labels = parseIdx(maybeGunzip(labBytes, labelsPath), labelsPath, 1);
  const transpose = opts.transpose ?? /^emnist/i.test(basename(imagesPath));
  return idxToDataset(images, labels, opts.name ?? basename(dirname(resolve(imagesPath))), imagesPath, { transpose });
}

/**
 * The labels file that goes with an IDX images file: `images-idx3` → `labels-idx1`, with or without `.gz`
 * (whichever exists; the swapped name as given if neither does, so the error names it).
 *
 * @example await idxLabelsPathFor('mnist/t10k-images-idx3-ubyte.gz'); // 'mnist/t10k-labels-idx1-ubyte.gz'
 */
export async function idxLabelsPathFor(imagesPath: string): Promise<string> {
  return withOrWithoutGz(imagesPath.replace(/images([-.])idx\d/i, 'labels$1idx1'));
}

/** `path` itself, or the same name with `.gz` added or removed, whichever exists first; `path` if none does. */
async function withOrWithoutGz(path: string): Promise<string> {
  const plain = path.replace(/\.gz$/i, '');
  for (const candidate of [path, plain, plain + '.gz']) {
    if (await isFile(candidate)) return candidate;
  }
  return path;
}

/**
 * Reads IDX data from a folder (picking the split: `t10k-*`/`*test*` is test, `train-*` is train) or from one
 * images file (its labels file found by name). A labels file path is accepted too and paired the other way.
 *
 * @example const ds = await readIdx('../shared/data/mnist', { split: 'test' });
 */
export async function readIdx(pathOrDir: string, opts: IdxReadOptions & { split?: DatasetSplit } = {}): Promise<Dataset> {
  const info = await statOrNull(pathOrDir);
  if (!info) {
    throw new FedleakError('FILE_NOT_FOUND', 'expected an IDX file or a folder of IDX files, found nothing', { path: pathOrDir });
  }
  if (info.isFile()) {
    if (opts.split !== undefined) {
      throw new FedleakError('BAD_ARGUMENT', 'a split applies to a folder; this is one file', {
        path: 'split',
        hint: 'drop --split or pass the folder',
      });
    }
    const images = IDX_LABELS_FILE.test(basename(pathOrDir))
      ? await withOrWithoutGz(pathOrDir.replace(/labels([-.])idx1/i, 'images$1idx3'))
      : pathOrDir;
    return readIdxDataset(images, await idxLabelsPathFor(images), opts);
  }

  const files = (await readdir(pathOrDir)).filter((f) => IDX_IMAGES_FILE.test(f)).sort();
  // The same data gzipped and not: read the plain copy, it is faster.
  const unique = files.filter((f) => !(/\.gz$/i.test(f) && files.includes(f.replace(/\.gz$/i, ''))));
  const bySplit: Record<'test' | 'train', string[]> = { test: [], train: [] };
  for (const f of unique) bySplit[/t10k|test/i.test(f) ? 'test' : 'train'].push(f);
  if (unique.length === 0) {
    throw new FedleakError('FILE_NOT_FOUND', 'expected IDX files named *-images-idx3-ubyte[.gz] in this folder, found none', {
      path: pathOrDir,
    });
  }
  for (const s of ['test', 'train'] as const) {
    if (bySplit[s].length > 1) {
      throw new FedleakError('BAD_ARGUMENT', `the folder holds several ${s} image sets: ${bySplit[s].join(', ')}`, {
        path: pathOrDir,
        hint: 'pass the path of one images file instead of the folder',
      });
    }
  }
  const chosen = pickSplit(opts.split, bySplit, pathOrDir, 't10k-images-idx3-ubyte[.gz]', 'train-images-idx3-ubyte[.gz]');
  const name = opts.name ?? basename(resolve(pathOrDir));
  const parts: Dataset[] = [];
  for (const f of chosen) {
    const images = join(pathOrDir, f);
    parts.push(await readIdxDataset(images, await idxLabelsPathFor(images), { ...opts, name }));
  }
  return parts.length === 1 ? parts[0] : concatDatasets(parts, name, pathOrDir);
}

/**
 * Options for `readCifar`.
 * @example readCifar('data/cifar-10-batches-bin', { variant: 'cifar10', split: 'all' });
 */
export interface CifarReadOptions {
  /** cifar10 or cifar100; default from the file names, else from the file sizes. */
  variant?: CifarVariant;
  /** For a folder: test (default when present), train or all. */
  split?: DatasetSplit;
  /** `Dataset.name`; default the variant. */
  name?: string;
}

/**
 * Reads CIFAR-10/100 binary data from one `.bin` file or a folder of them. In a folder, CIFAR-10 train is
 * `data_batch_*.bin` and test `test_batch.bin`; CIFAR-100 train is `train.bin` and test `test.bin`. Class names
 * come from `batches.meta.txt` (CIFAR-10) or `fine_label_names.txt` (CIFAR-100) beside the data, when present.
 *
 * @example const ds = await readCifar('../shared/data/cifar-10-batches-bin'); // the test batch
 */
export async function readCifar(pathOrDir: string, opts: CifarReadOptions = {}): Promise<Dataset> {
  const info = await statOrNull(pathOrDir);
  if (!info) {
    throw new FedleakError('FILE_NOT_FOUND', 'expected a CIFAR .bin file or a folder of them, found nothing', { path: pathOrDir });
  }
  let dir: string;
  let paths: string[];
  let variant = opts.variant;
  if (info.isFile()) {
    if (opts.split !== undefined) {
      throw new FedleakError('BAD_ARGUMENT', 'a split applies to a folder; this is one file', {
        path: 'split',
        hint: 'drop --split or pass the folder',
      });
    }
    dir = dirname(pathOrDir);
    paths = [pathOrDir];
    variant ??= cifarVariantOf(pathOrDir, info.size);
  } else {
    dir = pathOrDir;
    const bins = (await readdir(dir)).filter((f) => /\.bin$/i.test(f)).sort(naturalOrder);
    if (bins.length === 0) {
      throw new FedleakError('FILE_NOT_FOUND', 'expected CIFAR .bin files (test_batch.bin, data_batch_N.bin, test.bin, train.bin), found none', {
        path: dir,
      });
    }
    const has10 = bins.some((f) => cifarVariantOf(f, 0) === 'cifar10');
    const has100 = bins.some((f) => cifarVariantOf(f, 0) === 'cifar100');
    variant ??= has10 && !has100 ? 'cifar10' : has100 && !has10 ? 'cifar100' : await variantFromSizes(dir, bins);
    const official = bins.filter((f) => cifarVariantOf(f, 0) === variant);
    if (official.length > 0) {
      const bySplit = {
        test: official.filter((f) => /^test/i.test(f)),
        train: official.filter((f) => !/^test/i.test(f)),
      };
      const testName = variant === 'cifar100' ? 'test.bin' : 'test_batch.bin';
      const trainName = variant === 'cifar100' ? 'train.bin' : 'data_batch_N.bin';
      paths = pickSplit(opts.split, bySplit, dir, testName, trainName).map((f) => join(dir, f));
    } else {
      // Unofficial names: no way to tell the splits apart, so read them all.
      if (opts.split !== undefined && opts.split !== 'all') {
        throw new FedleakError('BAD_ARGUMENT', `cannot tell the ${opts.split} split from these file names: ${bins.join(', ')}`, {
          path: 'split',
          hint: 'name the files like the official ones (test_batch.bin, data_batch_1.bin, …) or pass one file',
        });
      }
      paths = bins.map((f) => join(dir, f));
    }
  }
  if (!variant) {
    throw new FedleakError('UNKNOWN_FORMAT', 'cannot tell CIFAR-10 from CIFAR-100 by the file name or size', {
      path: pathOrDir,
      hint: 'pass --format cifar10 or --format cifar100',
    });
  }
  const files: CifarFile[] = await Promise.all(
    paths.map(async (file) => ({ file, bytes: await readFileBytes(file, `a ${variant} binary file`) })),
  );
  const classNames = await readClassNames(join(dir, variant === 'cifar100' ? 'fine_label_names.txt' : 'batches.meta.txt'));
  const ds = parseCifar(files, {
    variant,
    ...(classNames ? { classNames } : {}),
    source: paths.length === 1 ? paths[0] : pathOrDir,
  });
  return opts.name ? { ...ds, name: opts.name } : ds;
}

/** Class names from a names file beside the data, or undefined when there is none (it is optional). */
async function readClassNames(path: string): Promise<string[] | undefined> {
  try {
    return parseClassNames(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The variant every .bin file in `dir` fits by size, or undefined if they disagree or fit both. */
async function variantFromSizes(dir: string, bins: string[]): Promise<CifarVariant | undefined> {
  const found = new Set<CifarVariant | undefined>();
  for (const f of bins) found.add(cifarVariantOf('', (await stat(join(dir, f))).size));
  return found.size === 1 ? [...found][0] : undefined;
}

/** Chooses files by split: the test files by default, the train files when there are no test files. */
function pickSplit(
  split: DatasetSplit | undefined,
  bySplit: Record<'test' | 'train', string[]>,
  dir: string,
  testName: string,
  trainName: string,
): string[] {
  const want = split ?? (bySplit.test.length > 0 ? 'test' : 'train');
  const chosen = want === 'all' ? [...bySplit.train, ...bySplit.test] : bySplit[want];
  if (chosen.length === 0) {
    const expected = want === 'test' ? testName : want === 'train' ? trainName : `${trainName} or ${testName}`;
    const other = want === 'test' ? 'train' : 'test';
    throw new FedleakError('FILE_NOT_FOUND', `expected the ${want} split (${expected}) in this folder, found none`, {
      path: dir,
      hint: want !== 'all' && bySplit[other].length > 0 ? `this folder holds the ${other} split: pass --split ${other}` : undefined,
    });
  }
  return chosen;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isFile() ?? false;
}

// data_batch_2 before data_batch_10: the official order, whatever the number of digits.
function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
