/** Parser for the CIFAR-10 and CIFAR-100 binary formats (fixed-size records, colour planes) into HWC Datasets. Pure: no Node imports. */

import { FedleakError } from '../errors.js';
import type { Dataset } from '../types.js';
import { UNIT_BYTES } from './unit-bytes.js';

/**
 * Which CIFAR binary layout a file uses.
 * @example const v: CifarVariant = 'cifar100';
 */
export type CifarVariant = 'cifar10' | 'cifar100';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXEL_BYTES = 3 * PLANE;

/**
 * Record layout per variant. CIFAR-100 records carry a coarse (20 super-classes) then a fine label; we keep
 * the fine one, the 100-class task everyone reports.
 * @example cifarLayouts.cifar10.recordBytes; // 3073
 */
export const cifarLayouts = {
  cifar10: { recordBytes: 1 + PIXEL_BYTES, labelOffset: 0, numClasses: 10, labelBytes: 1 },
  cifar100: { recordBytes: 2 + PIXEL_BYTES, labelOffset: 1, numClasses: 100, labelBytes: 2 },
} as const satisfies Record<CifarVariant, { recordBytes: number; labelOffset: number; numClasses: number; labelBytes: number }>;

/**
 * One CIFAR binary file in memory.
 * @example const f: CifarFile = { bytes: await readFileBytes(p, 'a CIFAR file'), file: p };
 */
export interface CifarFile {
  bytes: Uint8Array;
  /** Its path or name, for error messages. */
  file: string;
}

/**
 * Options for `parseCifar`.
 * @example parseCifar(f, { variant: 'cifar10', classNames: ['airplane', …] });
 */
export interface CifarOptions {
  variant: CifarVariant;
  /** Class names (from `batches.meta.txt` / `fine_label_names.txt`); dropped if their count is wrong. */
  classNames?: string[];
  /** What `Dataset.source` says; default the file names joined with commas. */
  source?: string;
}

/**
 * How many records a CIFAR file holds. There is no header, so the count comes from the length; a length
 * that is not a whole number of records means the file was cut short.
 *
 * @example cifarRecordCount(bytes, 'test_batch.bin', 'cifar10'); // 10000 for the official file
 */
export function cifarRecordCount(bytes: Uint8Array, file: string, variant: CifarVariant): number {
  const { recordBytes } = cifarLayouts[variant];
  const whole = Math.floor(bytes.length / recordBytes);
  if (bytes.length % recordBytes !== 0) {
    throw new FedleakError(
      'FILE_TRUNCATED',
      `a ${variant} file is a whole number of ${recordBytes}-byte records, but this one is ${bytes.length} bytes: ` +
        `${whole} whole record${whole === 1 ? '' : 's'} and ${bytes.length - whole * recordBytes} bytes left over`,
      { path: file },
    );
  }
  if (whole === 0) {
    throw new FedleakError('FILE_CORRUPT', `expected at least one ${recordBytes}-byte ${variant} record, the file is empty`, {
      path: file,
    });
  }
  return whole;
}

/**
 * Parses one or more CIFAR binary files into one Dataset, in file order. Each record's R, G and B planes
 * (32×32, row-major) become HWC pixels; values are byte/255.
 *
 * @example
 * const ds = parseCifar({ bytes, file: 'test_batch.bin' }, { variant: 'cifar10' });
 * ds.shape; // [32, 32, 3]
 */
export function parseCifar(files: CifarFile | readonly CifarFile[], opts: CifarOptions): Dataset {
  const list: readonly CifarFile[] = Array.isArray(files) ? files : [files as CifarFile];
  if (list.length === 0) {
    throw new FedleakError('BAD_ARGUMENT', 'expected at least one CIFAR file, got none', { path: 'files' });
  }
  const layout = cifarLayouts[opts.variant];
  // Check every length before allocating, so a truncated last batch fails fast and names its own file.
  const counts = list.map((f) => cifarRecordCount(f.bytes, f.file, opts.variant));
  const total = counts.reduce((a, b) => a + b, 0);

  const inputs = new Float32Array(total * PIXEL_BYTES);
  const labels = new Int32Array(total);
  let example = 0;
  list.forEach((f, fileIndex) => {
    for (let r = 0; r < counts[fileIndex]; r++, example++) {
      const rec = r * layout.recordBytes;
      const label = f.bytes[rec + layout.labelOffset];
      if (label >= layout.numClasses) {
        throw new FedleakError(
          'FILE_CORRUPT',
          `record ${r} has label ${label}, expected 0–${layout.numClasses - 1} for ${opts.variant}`,
          { path: f.file, hint: 'the file may be the other CIFAR variant: pass --format cifar10 or cifar100' },
        );
      }
      if (opts.variant === 'cifar100' && f.bytes[rec] >= 20) {
        throw new FedleakError('FILE_CORRUPT', `record ${r} has coarse label ${f.bytes[rec]}, expected 0–19`, {
          path: f.file,
          hint: 'the file may be CIFAR-10: pass --format cifar10',
        });
      }
      labels[example] = label;
      const px = rec + layout.labelBytes;
      const base = example * PIXEL_BYTES;
      for (let p = 0; p < PLANE; p++) {
        const o = base + 3 * p;
        inputs[o] = UNIT_BYTES[f.bytes[px + p]];
        inputs[o + 1] = UNIT_BYTES[f.bytes[px + PLANE + p]];
        inputs[o + 2] = UNIT_BYTES[f.bytes[px + 2 * PLANE + p]];
      }
    }
  });

  const names = opts.classNames && opts.classNames.length === layout.numClasses ? opts.classNames : undefined;
  return {
    name: opts.variant,
    kind: 'image',
    shape: [SIDE, SIDE, 3],
    size: total,
    inputs,
    labels,
    numClasses: layout.numClasses,
    ...(names ? { classNames: names } : {}),
    source: opts.source ?? list.map((f) => f.file).join(','),
  };
}

/**
 * Reads a class-names file (`batches.meta.txt`, `fine_label_names.txt`): one name per line, blank lines
 * dropped (the CIFAR-10 file ends with blank lines).
 *
 * @example parseClassNames('airplane\nautomobile\n\n'); // ['airplane', 'automobile']
 */
export function parseClassNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/**
 * Guesses the variant of a CIFAR file from its name, then from its length: official names first
 * (`data_batch_N.bin`/`test_batch.bin` are CIFAR-10, `train.bin`/`test.bin` CIFAR-100), else the only
 * record size that divides the length. Returns undefined when neither tells.
 *
 * @example cifarVariantOf('test_batch.bin', 30730000); // 'cifar10'
 */
export function cifarVariantOf(fileName: string, byteLength: number): CifarVariant | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  if (/^(data_batch_\d+|test_batch)\.bin$/i.test(base)) return 'cifar10';
  if (/^(train|test)\.bin$/i.test(base)) return 'cifar100';
  const fits10 = byteLength > 0 && byteLength % cifarLayouts.cifar10.recordBytes === 0;
  const fits100 = byteLength > 0 && byteLength % cifarLayouts.cifar100.recordBytes === 0;
  if (fits10 && !fits100) return 'cifar10';
  if (fits100 && !fits10) return 'cifar100';
  return undefined;
}
