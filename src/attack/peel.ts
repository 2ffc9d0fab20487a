/** Peeling with certification as an attack wrapper: any row-read design (passive, trap, QBI, degree) plus peeling. */
import type { Attack, Candidate, NamedArrays, Reconstruction } from '../types.js';
import { FedleakError } from '../errors.js';
import { findDense } from './layer.js';
import { checkOptionKeys, describe } from './options.js';
import { peelRows } from './peel-rows.js';
import { noRejections, type CertifiedInput, type PeelOptions, type PeelResult, type PeelWeights, type PeelWorkspace } from './peel-types.js';
import { modelTail } from './peel-model.js';
import type { LowRankFactors, SparseRows } from './quantile-bias.js';
import { compactFirstRead } from './first-read.js';
import { ArenaSize, SimdArena, type ArenaAllocator } from '../tensor/simd.js';

export type { CertifiedInput, PeelOptions, PeelWeights, RejectReason } from './peel-types.js';

/**
 * What a peeling attack remembers: its inner design's secrets and the sent model arranged for peeling.
 * @example const { secrets } = peel(qbi()).craft(spec, params, ctx); secrets.inner.fireProbability;
 */
export interface PeelSecrets<S> {
  inner: S;
  weights: PeelWeights;
}

/**
 * How peeling went on one update. `applied` is false for FedAvg deltas (see {@link peel}).
 * @example if (rec.peel.applied) console.log(rec.peel.rounds, rec.certified.length);
 */
export interface PeelReport {
  applied: boolean;
  /** Why peeling was not applied, when it was not. */
  note?: string;
  rounds: number;
  /** Groups of identical on-grid candidates the certificate examined. */
  checked: number;
  /** Thin groups left uncertified because nothing needed peeling with them (see `PeelResult.deferred`). */
  deferred: number;
  rejected: PeelResult['rejected'];
  poisonedRows: number;
  emptyRows: number;
}

/**
 * A reconstruction with peeling: `candidates` holds one candidate per active neuron, as the plain read-out does,
 * but a row that ends up holding one certified input alone gives that input (exact multiples of 1/levels), a
 * row that peeling changed gives its last residual read-out, and a row that peeling emptied (every input in it
 * certified and subtracted) gives none. `certified` lists the certified inputs.
 * Fields that might belong in src/types.ts's `Reconstruction` one day: `certified`, `timings.peelMs`.
 * @example const rec = peel(qbi()).reconstruct(update, secrets); rec.certified.length; rec.timings.peelMs;
 */
export interface PeelReconstruction extends Reconstruction {
  certified: CertifiedInput[];
  peel: PeelReport;
  /** readoutMs: the first read-out and peeling together; peelMs: peeling alone. */
  timings: { readoutMs: number; peelMs: number };
}

/**
 * An attack whose `reconstruct` peels.
 * @example const a: PeelAttack<QbiSecrets> = peel(qbi());
 */
export interface PeelAttack<S> extends Attack<PeelSecrets<S>> {
  reconstruct(update: Parameters<Attack<PeelSecrets<S>>['reconstruct']>[0], secrets: PeelSecrets<S>): PeelReconstruction;
}

/**
 * Wraps a design that is read row by row (passive, trap, QBI, degree) with peeling and certification; the name
 * is `<inner>+peel`. **It needs nothing beyond what the inner design needs**: no labels, and the batch size only
 * as the update itself states it (`numExamples`, for the model check of thin candidates). It reads the gradient of
 * the second dense layer, which a FedSGD client sends with the rest, and for the model check the layers after it.
 *
 * `craft` is the inner design's, plus a transposed copy of the first layer (kept with the secrets; with the
 * design's low-rank factors when it has them).
 * `reconstruct` reads every active row, then runs `peelRows`: candidates that pass the certificate are subtracted
 * from every row they fire and the rows are read again until nothing new appears (see `peelRows` for the rule).
 *
 * Peeling is defined for FedSGD gradients. For a FedAvg delta (`update.kind === 'delta'`) several local steps mix
 * coefficients from different weights, so an input's contribution cannot be predicted from one δ₂: the wrapper
 * returns the inner design's plain read-out, with `peel.applied = false` and a note.
 * Imprint is read by differences of rows and every input falls into one bin, so it is not wrapped.
 * @throws FedleakError BAD_ARGUMENT for a bad option; SHAPE_MISMATCH when the model has no `dense1` layer or the
 *   update does not fit the crafted model.
 * @example
 * const attack = peel(qbi());
 * const { params, secrets } = attack.craft(spec, params0, { seed: 1, batchSize: 100, aux });
 * const rec = attack.reconstruct(update, secrets);
 * console.log(rec.certified.length, rec.peel.rounds, rec.timings.peelMs);
 */
export function peel<S>(inner: Attack<S>, opts: PeelOptions = {}): PeelAttack<S> {
  checkPeelOptions(opts);
  const name = `${inner.name}+peel`;
  return {
    name,
    craft(spec, params, ctx) {
      const crafted = inner.craft(spec, params, ctx);
      const { factors, sparse } = (crafted.secrets ?? {}) as { factors?: LowRankFactors; sparse?: SparseRows };
      return {
        params: crafted.params,
        secrets: { inner: crafted.secrets, weights: peelWeights(crafted.params, factors, sparse) },
      };
    },
    reconstruct(update, secrets) {
      const t0 = performance.now();
      const w = secrets.weights;
      if (update.kind !== 'gradient') {
        const rec = inner.reconstruct(update, secrets.inner);
        return {
          ...rec,
          attack: name,
          certified: [],
          peel: { ...emptyReport(), note: 'FedAvg delta: peeling needs one FedSGD gradient; plain read-out' },
          timings: { readoutMs: rec.timings.readoutMs, peelMs: 0 },
        };
      }
      const l0 = findDense(update.arrays, 'dense0', 'update');
      const l1 = findDense(update.arrays, 'dense1', 'update');
      if (l0.inputDim !== w.inputDim || l0.neurons !== w.neurons || l1.inputDim !== w.neurons || l1.neurons !== w.width) {
        throw new FedleakError(
          'SHAPE_MISMATCH',
          `the update's dense0 [${l0.inputDim}, ${l0.neurons}] / dense1 [${l1.inputDim}, ${l1.neurons}] do not fit the ` +
            `crafted model's [${w.inputDim}, ${w.neurons}] / [${w.neurons}, ${w.width}]`,
          { path: 'update.dense0/kernel', hint: 'reconstruct with the secrets of the model this update was computed on' },
        );
      }
      // The first read-out stays float32 columns until a row is read whole: singletons and the rows peeling
      // changes. Most rows end resolved (their candidate is the certified input), so most are never converted.
      const big = w.kernels?.workspace?.columns;
      const space = big ? { arena: w.kernels!.arena, raw: big.raw, cols: big.first, table: big.table } : undefined;
      const first = compactFirstRead(l0.kernel.data, l0.bias.data, w.inputDim, w.neurons, space);
      const active = first.rows.length;
      const t1 = performance.now();
      const batchSize = Number.isInteger(update.numExamples) && update.numExamples > 0 ? update.numExamples : 0;
      const result = peelRows(w, { bias: l0.bias.data, kernel1: l1.kernel.data, batchSize }, first, opts);
      const out: Candidate[] = [];
      for (const r of first.rows) {
        const a = result.rowOwner[r];
        const last = result.lastRead[r];
        if (a >= 0) out.push({ neuron: r, x: result.certified[a].x, biasGrad: result.residualBias[r] });
        else if (last) out.push({ neuron: r, x: last, biasGrad: result.residualBias[r] });
        else if (!result.emptied[r]) out.push({ neuron: r, x: first.row(r), biasGrad: l0.bias.data[r] });
      }
      const t2 = performance.now();
      return {
        attack: name,
        layer: 'dense0',
        candidates: out,
        activeNeurons: active,
        totalNeurons: w.neurons,
        certified: result.certified,
        peel: {
          applied: true,
          rounds: result.rounds,
          checked: result.checked,
          deferred: result.deferred,
          rejected: result.rejected,
          poisonedRows: result.poisonedRows,
          emptyRows: result.emptyRows,
        },
        timings: { readoutMs: t2 - t0, peelMs: t2 - t1 },
      };
    },
  };
}

/**
 * The sent model arranged for peeling: `dense0/kernel` transposed (blocked, so both sides stay in cache) with its
 * row norms, and `dense1` as it is. About one pass over the first layer; done once per crafted model.
 * Where WebAssembly SIMD is available (Node 20, current browsers) both layers live in the SIMD kernels' memory
 * (`kernels`), with a workspace that every peeling on these weights reuses: about 150 MB at CIFAR-10 size
 * (N = 1000, a 3000-unit second layer), touched here once so that the first update does not pay its page faults.
 * Where the arrays of inputDim × neurons values do not fit (ImageNet size), the workspace holds the rest and pools
 * of room for some inputs and residual columns (128 MB each at most) instead. Layers above 1 GiB stay in plain
 * arrays.
 * @throws FedleakError SHAPE_MISMATCH when `dense0` or `dense1` is missing or they do not chain.
 * @example const w = peelWeights(crafted.params); w.w1t.subarray(r * w.inputDim, (r + 1) * w.inputDim); // row r
 */
export function peelWeights(params: NamedArrays, factors?: LowRankFactors, sparse?: SparseRows): PeelWeights {
  const l0 = findDense(params, 'dense0', 'params');
  const l1 = findDense(params, 'dense1', 'params');
  const d = l0.inputDim;
  const n = l0.neurons;
  if (l1.inputDim !== n) {
    throw new FedleakError('SHAPE_MISMATCH', `dense1 reads ${l1.inputDim} values but dense0 has ${n} neurons`, {
      path: 'params.dense1/kernel',
      hint: 'peeling needs a second dense layer right after the first',
    });
  }
  const k = l0.kernel.data;
  const h = l1.neurons;
  const common = {
    inputDim: d,
    neurons: n,
    width: h,
    b1: l0.bias.data,
    w2: l1.kernel.data,
    b2: l1.bias.data,
    tail: modelTail(params, h),
  };
  // Sparse rows are kept as the design drew them: no transposed copy (602 MB at ImageNet size).
  const sp = sparse ? checkSparse(sparse, k, d, n) : undefined;
  const f = factors ? checkFactors(factors, d, n) : undefined;
  const w1tSize = sp ? 0 : d * n;
  const words = (h + 31) >>> 5;
  // The layers go into a WebAssembly memory when SIMD is there: the certificate's dot products then run 4–5×
  // faster than JavaScript loops (bench/simd.ts). Otherwise plain arrays and the same loops in JavaScript. The
  // layouts below both size the memory (ArenaSize) and fill it.
  const layers = (a: ArenaAllocator) => ({
    w1t: a.f32(w1tSize),
    w2: a.f32(n * h),
    c: f ? a.f32(f.rank * d) : null,
    x: a.f64(d),
    delta: a.f64(h),
    z2: a.f64(h),
    other: a.f64(h),
  });
  // Room for one peeling's second-layer gradient, subtracted inputs' δ₂, the certificate's prepared groups and the
  // probe values (about 80 MB at ImageNet size, 30 MB at CIFAR-10 size), and, when they fit, its arrays of
  // inputDim × neurons values: first read-out, residual columns, inputs (120 MB at CIFAR-10 size; 2.4 GB at
  // ImageNet size, where pools for some inputs and columns take their place).
  const workspace = (a: ArenaAllocator, columns: boolean, pool: { inputs: number; columns: number } | null): PeelWorkspace => ({
    columns: columns
      ? { raw: a.f32(n * d), first: a.f32((n + 1) * d), table: a.i32(n), cols: a.f64(n * d), xs: a.f32(n * d) }
      : null,
    pool: pool
      ? { inputs: pool.inputs, xs: a.f32(pool.inputs * d), columns: pool.columns, cols: a.f64(pool.columns * d), scratch: a.f64(d) }
      : null,
    deltas: a.f64(n * h),
    kernel1: a.f32(n * h),
    // 4 spare words: the cover test reads four words at a time past a row's end
    supp: a.i32(n * words + 4),
    active: a.i32(n),
    inner: a.i32(words + 4),
    covered: a.i32(n),
    q: a.u16(d),
    slots: {
      count: PREPARED_SLOTS,
      x: a.f64(PREPARED_SLOTS * d),
      delta: a.f64(PREPARED_SLOTS * h),
      inner: a.i32(PREPARED_SLOTS * (words + 4)),
      xf: a.f32(PREPARED_SLOTS * d),
      q: a.u16(d),
      nonZeros: a.i32(4),
      nz: a.i32(PREPARED_SLOTS * d),
      cover: a.i32(PREPARED_SLOTS * n),
      zc: a.f64(PREPARED_SLOTS * n),
      pairs: a.i32(2 * PREPARED_SLOTS * n),
    },
    probes: a.f64(64 * n),
  });
  const bytes = (layout: (a: ArenaAllocator) => unknown) => {
    const size = new ArenaSize();
    layout(size);
    return size.bytes;
  };
  const layerBytes = bytes(layers);
  const workBytes = bytes((a) => workspace(a, false, null));
  const withWork = layerBytes + workBytes <= MAX_ARENA_BYTES;
  const withColumns = withWork && layerBytes + bytes((a) => workspace(a, true, null)) <= MAX_ARENA_BYTES / 2;
  // otherwise pools: room for as many inputs and residual columns as POOL_BYTES each and the 1 GiB cap allow
  // (alignment and the scratch column taken off first)
  const left = (MAX_ARENA_BYTES - layerBytes - workBytes - 8 * d - 64 * 4) / 2;
  const room = (bytesEach: number) => Math.max(0, Math.min(n, Math.floor(Math.min(POOL_BYTES, left) / bytesEach)));
  const poolSize = withWork && !withColumns ? { inputs: room(4 * d), columns: room(8 * d) } : null;
  const pool = poolSize && poolSize.inputs + poolSize.columns > 0 ? poolSize : null;
  const arena = SimdArena.create(
    bytes((a) => {
      layers(a);
      if (withWork) workspace(a, withColumns, pool);
    }),
    MAX_ARENA_BYTES,
  );
  const inArena = arena ? layers(arena) : null;
  const w1t = inArena ? inArena.w1t : new Float32Array(w1tSize);
  const B = 64;
  for (let j0 = 0; j0 < d && !sp; j0 += B) {
    const j1 = Math.min(d, j0 + B);
    for (let i0 = 0; i0 < n; i0 += B) {
      const i1 = Math.min(n, i0 + B);
      for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) w1t[i * d + j] = k[j * n + i];
    }
  }
  const w1norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    if (sp) for (let t = i * sp.perRow, e = t + sp.perRow; t < e; t++) s += sp.value[t] * sp.value[t];
    else for (let j = i * d, e = j + d; j < e; j++) s += w1t[j] * w1t[j];
    w1norm[i] = Math.sqrt(s);
  }
  const design = { ...(f ? { factors: f } : {}), ...(sp ? { sparse: sp } : {}) };
  if (!arena || !inArena) return { ...common, w1t, w1norm, ...design };
  const { w2, c, x, delta, z2, other } = inArena;
  w2.set(l1.kernel.data);
  if (f && c) {
    c.set(f.c);
    design.factors = { ...f, c };
  }
  const mark = arena.allocated;
  const work = withWork ? workspace(arena, withColumns, pool) : null;
  // Touch the workspace now, once per crafted model, so that its page faults are not paid by the first update.
  arena.touchFrom(mark);
  const kernels = { arena, x, delta, z2, other, workspace: work };
  return { ...common, w2, w1t, w1norm, kernels, ...design };
}

/**
 * Groups the certificate prepares at once (see Certifier.preactivations): their covered first-layer rows are then
 * read once for all of them. 32 slots take 1.6 MB at CIFAR-10 size.
 */
const PREPARED_SLOTS = 32;

/** The most each pool of the workspace takes where the full arrays do not fit (inputs; residual columns). */
const POOL_BYTES = 128 * 2 ** 20;

/** Layers above this size (in bytes) stay in plain arrays: a WebAssembly memory cannot pass 4 GiB. */
const MAX_ARENA_BYTES = 2 ** 30;

/**
 * Options of a registered `<design>+peel` factory: the design's own, plus `peel` for the certificate's.
 * @example attacks['qbi+peel']({ firers: 1, peel: { gridTolerance: 0.05 } });
 */
export type WithPeel<O> = O & { peel?: PeelOptions };

/**
 * Builds the registry entry `<design>+peel` from a design's factory: splits off `peel` and wraps the design.
 * @example const qbiPeel = withPeel(qbi); qbiPeel({ peel: {} }).name === 'qbi+peel';
 */
export function withPeel<O extends object, S>(factory: (opts?: O) => Attack<S>): (opts?: WithPeel<O>) => PeelAttack<S> {
  return (opts) => {
    const { peel: peelOpts, ...rest } = (opts ?? {}) as WithPeel<O>;
    return peel(factory(rest as O), peelOpts ?? {});
  };
}

const LIMITS: Record<Exclude<keyof PeelOptions, 'modelCheck'>, { min: number; max: number; integer: boolean; open?: boolean }> = {
  levels: { min: 1, max: 65535, integer: true },
  gridTolerance: { min: 0, max: 0.5, integer: false, open: true },
  fireMargin: { min: 0, max: 1e6, integer: false },
  zeroTolerance: { min: 0, max: 1, integer: false, open: true },
  coefTolerance: { min: 0, max: 1, integer: false, open: true },
  silentChecks: { min: 0, max: 1e9, integer: true },
  maxRounds: { min: 1, max: 1e9, integer: true },
};

function checkPeelOptions(opts: unknown): asserts opts is PeelOptions {
  checkOptionKeys('peel', opts, [...Object.keys(LIMITS), 'modelCheck']);
  const mode = (opts as PeelOptions).modelCheck;
  if (mode !== undefined && !['auto', 'peel', 'thin', 'all', 'off'].includes(mode)) {
    throw new FedleakError('BAD_ARGUMENT', `expected auto, peel, thin, all or off, got ${describe(mode)}`, {
      path: 'peel.modelCheck',
    });
  }
  for (const [key, lim] of Object.entries(LIMITS)) {
    const v = (opts as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (lim.open ? v > lim.min : v >= lim.min) &&
      v <= lim.max &&
      (!lim.integer || Number.isInteger(v));
    if (!ok) {
      const range = `${lim.open ? '(' : '['}${lim.min}, ${lim.max}]`;
      throw new FedleakError('BAD_ARGUMENT', `expected ${lim.integer ? 'an integer' : 'a number'} in ${range}, got ${describe(v)}`, {
        path: `peel.${key}`,
        hint: `omit peel.${key} for the default`,
      });
    }
  }
}

function checkFactors(f: LowRankFactors, d: number, n: number): LowRankFactors {
  if (!(Number.isInteger(f.rank) && f.rank > 0 && f.a.length === n * f.rank && f.c.length === f.rank * d)) {
    throw new FedleakError('SHAPE_MISMATCH', `low-rank factors of rank ${f.rank} do not fit a [${d}, ${n}] layer`, {
      path: 'secrets.factors',
    });
  }
  return f;
}

/** The sparse rows must be the kernel's: same shape, and the kernel holds their values (checked on one row each). */
function checkSparse(sp: SparseRows, kernel: Float32Array, d: number, n: number): SparseRows {
  const ok =
    Number.isInteger(sp.perRow) &&
    sp.perRow > 0 &&
    sp.perRow <= d &&
    sp.index.length === n * sp.perRow &&
    sp.value.length === n * sp.perRow &&
    Array.from({ length: Math.min(n, 8) }, (_, t) => Math.floor((t * n) / Math.min(n, 8))).every((i) => {
      for (let t = i * sp.perRow, e = t + sp.perRow; t < e; t++) {
        const j = sp.index[t];
        if (!(j >= 0 && j < d) || kernel[j * n + i] !== sp.value[t]) return false;
      }
      return true;
    });
  if (!ok) {
    throw new FedleakError('SHAPE_MISMATCH', `sparse rows (${sp.perRow} per row) do not match the [${d}, ${n}] kernel sent`, {
      path: 'secrets.sparse',
      hint: 'peel with the secrets of the model the update was computed on',
    });
  }
  return sp;
}

function emptyReport(): PeelReport {
  return {
    applied: false,
    rounds: 0,
    checked: 0,
    deferred: 0,
    rejected: noRejections(),
    poisonedRows: 0,
    emptyRows: 0,
  };
}
