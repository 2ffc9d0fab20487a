/** The types of peeling with certification: the sent model arranged for it, its options and what it returns. */
import type { ModelTail } from './peel-model.js';
import type { LowRankFactors, SparseRows } from './quantile-bias.js';
import type { SimdArena } from '../tensor/simd.js';

/**
 * The model the server sent, arranged for peeling: the first layer transposed (row r of `w1t` is neuron r's
 * weights, contiguous) with row norms, and the second dense layer as sent (row r of `w2` is what neuron r feeds).
 * Built once per crafted model by `peelWeights`.
 * @example const w: PeelWeights = peelWeights(crafted.params);
 */
export interface PeelWeights {
  inputDim: number;
  neurons: number;
  /** Width H of the second dense layer. */
  width: number;
  /** dense0/kernel transposed: [neurons × inputDim] (empty when the rows are `sparse`). */
  w1t: Float32Array;
  /** ‖w_r‖₂ of each first-layer row. */
  w1norm: Float64Array;
  b1: Float32Array;
  /** dense1/kernel as sent: [neurons × width]. */
  w2: Float32Array;
  b2: Float32Array;
  /** The layers after the second (for the model check), or null when the second is the classifier. */
  tail: ModelTail | null;
  /** The first layer's factors when the design drew it low-rank (W = A·C): pre-activations then cost rank·(d + n). */
  factors?: LowRankFactors;
  /** The first layer's rows when the design drew them sparse: pre-activations then cost perRow per row. */
  sparse?: SparseRows;
  /**
   * SIMD kernels for the certificate's dot products, when this runtime has WebAssembly SIMD and the layers fit:
   * then `w1t`, `w2` and `factors.c` are views into `arena`, and so are the scratch vectors here.
   */
  kernels?: PeelKernels;
}

/**
 * The WebAssembly memory that holds the sent layers for peeling, with the float64 scratch vectors the kernels
 * read: x̂ (inputDim values), δ₂ and z₂ (width values each). One peeling at a time uses them.
 * @example if (w.kernels) w.kernels.arena.dot(w.w2, w.kernels.delta, r * w.width, 0, w.width);
 */
export interface PeelKernels {
  arena: SimdArena;
  x: Float64Array;
  delta: Float64Array;
  z2: Float64Array;
  /** A second δ₂-sized vector (other rows' δ₂ in the agreement check). */
  other: Float64Array;
  /** Room for one peeling's residual columns and subtracted inputs, when it fits (see PeelWorkspace). */
  workspace: PeelWorkspace | null;
}

/**
 * Where peeling keeps, inside the kernels' memory, row r's residual column (`cols`, inputDim values at r·inputDim)
 * and subtracted input a's float32 values and δ₂ (`xs` at a·inputDim, `deltas` at a·width); at most `neurons`
 * inputs. Reused by each peeling on the same weights.
 */
export interface PeelWorkspace {
  /**
   * The arrays of inputDim × neurons values, when they fit (CIFAR-10 size, not ImageNet size): the update's
   * first-layer kernel gradient copied in (`raw`) and the first read-out's columns, (neurons + 1) × inputDim
   * (`first`, see compactFirstRead's FirstReadSpace), residual columns (`cols`) and subtracted inputs (`xs`).
   */
  columns: { raw: Float32Array; first: Float32Array; table: Int32Array; cols: Float64Array; xs: Float32Array } | null;
  /**
   * Where `columns` does not fit: room for the first `inputs` subtracted inputs (inputDim values each) and for
   * `columns` residual columns at a time (taken by a row when it is read whole, given back when it is released),
   * and one scratch column where the columns that found no room are brought up to date.
   */
  pool: { inputs: number; xs: Float32Array; columns: number; cols: Float64Array; scratch: Float64Array } | null;
  /** The update's second-layer kernel gradient, copied in, and its rows' non-zero bits (PeelState.supp). */
  kernel1: Float32Array;
  supp: Int32Array;
  /** The cover test's operands: the active rows, δ₂'s support bits (zero-padded) and the rows found. */
  active: Int32Array;
  inner: Int32Array;
  covered: Int32Array;
  /** A read-out rounded to the grid (the SIMD grid test writes it here). */
  q: Uint16Array;
  /** Subtracted inputs' δ₂ (width values each). */
  deltas: Float64Array;
  /**
   * Room for `count` groups prepared at once by the certificate: x̂ in float64 and float32 (inputDim values each),
   * δ₂ (width values) and δ₂'s support bits (words + 4 each, zero-padded for the cover test); and for loading x̂
   * from its grid values (`q`, inputDim values, and `nonZeros`, one count), one group at a time.
   */
  slots: {
    count: number;
    x: Float64Array;
    delta: Float64Array;
    inner: Int32Array;
    xf: Float32Array;
    q: Uint16Array;
    nonZeros: Int32Array;
    /** Per slot: x̂'s non-zero positions (inputDim), covered rows and their pre-activations (neurons each). */
    nz: Int32Array;
    cover: Int32Array;
    zc: Float64Array;
    /** (slot, position) pairs of a batch of pre-activations: 2 · count · neurons values. */
    pairs: Int32Array;
  };
  /** PeelState's probe values: 64 a row (neurons · 64). */
  probes: Float64Array;
}

/**
 * Tolerances of the certificate. The defaults are float32-aware and were set from measured error distributions
 * (see peel.test.ts); they are not tuning knobs for recall.
 * @example peel(qbi(), { gridTolerance: 0.05 });
 */
export interface PeelOptions {
  /** Inputs are multiples of 1/levels (8-bit images: 255, every fedleak loader). Default 255. */
  levels?: number;
  /** Largest distance of a candidate's value from the nearest multiple of 1/levels, in levels. Default 0.1. */
  gridTolerance?: number;
  /**
   * Firing decisions within fireMargin·√d·2⁻²⁴·‖w‖·‖x‖ of 0 are "uncertain": the client's float32 sum may have
   * had the other sign, so the row is dropped. Default 1, 12× the largest error measured for TF.js clients (0.08
   * on wasm, 0.01 on cpu, MNIST and CIFAR-10, 400,000 sums each); raise it for clients that compute in lower
   * precision (TF32, bfloat16).
   */
  fireMargin?: number;
  /** Second-layer deltas below this fraction of their largest entry count as zero. Default 1e-4. */
  zeroTolerance?: number;
  /** Relative agreement required between rows that hold the same input alone. Default 1e-3. */
  coefTolerance?: number;
  /** Rows with a zero bias gradient (no input fired them) the candidate is checked not to fire. Default 8. */
  silentChecks?: number;
  /** Most read-out/peel rounds. Default 64. */
  maxRounds?: number;
  /**
   * Which groups must also pass the model check (their δ₂ is one input's, with one label and the update's batch
   * size, through every layer after the second). A group is thin when its δ₂ is seen on one row only.
   * - 'peel': thin groups that would be subtracted from other rows; other thin ones stay uncertified (`deferred`),
   *   their rows keep the first read-out;
   * - 'thin': every thin group; 'all': every group; 'off': none;
   * - 'auto' (default): 'peel' when the second layer has fewer than 1024 units, else 'off'.
   * Why: mixes reach the certificate only when they land on the grid (binary-like data), and a mix of two inputs
   * that fire one row alone is told apart by the second layer's ReLU pattern only when enough of its units switch
   * between them: with 128 units that failed about once in 1,300 certified adversarial candidates (random binary
   * images), with 3,000 never; the check costs ~25M multiply-adds per candidate on the paper's FC net (about 1 s
   * per update) and ~0.01M on fc-small.
   */
  modelCheck?: 'auto' | 'peel' | 'thin' | 'all' | 'off';
}

/**
 * One input the certificate accepted: its value (exact multiples of 1/levels), the rows that held it alone, every
 * row it fires, and the peel round that found it (0: the first read-out).
 * @example for (const c of rec.certified) console.log(c.neurons, c.round);
 */
export interface CertifiedInput {
  x: Float64Array;
  /** Rows whose (residual) read-out was this input alone. */
  neurons: number[];
  /** Every first-layer row the input fires (ascending), the rows it was subtracted from included. */
  firing: number[];
  round: number;
  /** The label the model check found, or null when it did not run. */
  label: number | null;
}

/**
 * Why candidates failed the certificate, counted per group of identical candidates.
 * @example result.rejected['layer-2 support'] // mixes caught by the second layer's ReLU pattern
 */
export type RejectReason =
  | 'source rows silent'
  | 'fires a silent row'
  | 'no downstream signal'
  | 'rows disagree'
  | 'layer-2 support'
  | 'model'
  | 'contradiction';

/**
 * A zero count for every reject reason.
 * @example const rejected = noRejections(); rejected['rows disagree']++;
 */
export function noRejections(): Record<RejectReason, number> {
  return {
    'source rows silent': 0,
    'fires a silent row': 0,
    'no downstream signal': 0,
    'rows disagree': 0,
    'layer-2 support': 0,
    model: 0,
    contradiction: 0,
  };
}

/**
 * What `peelRows` returns. Row-indexed arrays have one entry per first-layer neuron.
 * @example const { certified, rowOwner } = peelRows(w, grad, candidates, {});
 */
export interface PeelResult {
  certified: CertifiedInput[];
  /** Per row: index into `certified` of the input that holds it alone at the end, or −1. */
  rowOwner: Int32Array;
  /** Per row: its last residual read-out when peeling changed it (else null: the first read-out stands). */
  lastRead: (Float64Array | null)[];
  /** Per row: 1 when every contribution was peeled off it (nothing is left to read), else 0. */
  emptied: Uint8Array;
  /** Per row: the residual bias gradient (for an owned row: its input's own coefficient). */
  residualBias: Float64Array;
  rounds: number;
  /** Groups of identical on-grid candidates the certificate examined. */
  checked: number;
  /**
   * Thin groups (one row) that passed every check but the model check, which was skipped because nothing was to
   * be peeled with them (model check 'peel'): not certified; their rows keep the first read-out.
   */
  deferred: number;
  rejected: Record<RejectReason, number>;
  /** Rows dropped because an input's firing decision on them was within the float32 margin. */
  poisonedRows: number;
  /** Rows whose every contribution was peeled off. */
  emptyRows: number;
}

/**
 * The gradient arrays peeling reads: the first layer's kernel is not needed (the candidates carry it), its bias
 * is, and so is the second dense layer's kernel gradient [neurons × width].
 * @example peelRows(w, { bias: grad[1].data, kernel1: grad[2].data }, rec.candidates, {});
 */
export interface PeelGradient {
  bias: Float32Array;
  kernel1: Float32Array;
  /** The update's batch size (`numExamples`), for the model check; 0 when unknown (the check is then skipped). */
  batchSize: number;
}

/** The options with every default filled in, and the model-check mode resolved for the model's width. */
export interface PeelSettings {
  levels: number;
  gridTolerance: number;
  /** fireMargin·√d·2⁻²⁴: the margin per unit of ‖w‖·‖x‖. */
  marginK: number;
  zeroTolerance: number;
  coefTolerance: number;
  silentChecks: number;
  maxRounds: number;
  modelCheck: 'peel' | 'thin' | 'all' | 'off';
}

/** Below this second-layer width the model check runs by default (see PeelOptions.modelCheck). */
const AUTO_MODEL_WIDTH = 1024;

/**
 * Fills in the defaults of `opts` for the model `w` (options are checked at the attack's door, in peel.ts).
 * @example const s = peelSettings({}, w); s.gridTolerance; // 0.1
 */
export function peelSettings(opts: PeelOptions, w: Pick<PeelWeights, 'inputDim' | 'width'>): PeelSettings {
  const mode = opts.modelCheck ?? 'auto';
  return {
    levels: opts.levels ?? 255,
    gridTolerance: opts.gridTolerance ?? 0.1,
    marginK: (opts.fireMargin ?? 1) * Math.sqrt(w.inputDim) * 2 ** -24,
    zeroTolerance: opts.zeroTolerance ?? 1e-4,
    coefTolerance: opts.coefTolerance ?? 1e-3,
    silentChecks: opts.silentChecks ?? 8,
    maxRounds: opts.maxRounds ?? 64,
    modelCheck: mode === 'auto' ? (w.width < AUTO_MODEL_WIDTH ? 'peel' : 'off') : mode,
  };
}
