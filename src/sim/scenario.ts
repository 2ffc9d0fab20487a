/** The scenario: one validated object that says what to simulate. CLI flags map onto it one to one. */
import { z } from 'zod';
import { FedleakError } from '../errors.js';
import { attackNames, type AttackName } from '../attack/registry.js';
import { defaultThreshold } from '../privacy/secagg/config.js';
import { datasetFormats } from '../data/formats.js';

/** Attack names the scenario accepts: the attack registry's, in its order. */
export const scenarioAttacks = attackNames as readonly AttackName[] as [AttackName, ...AttackName[]];

/** Where DP noise is added: nowhere, by each client (all of it), by each client (a 1/M share), or by the server. */
export const dpChoices = ['none', 'local', 'distributed', 'central'] as const;

const positiveInt = z.number().int().min(1);

/** Zod schema of a scenario; every field has the default `fedleak attack` uses. */
export const scenarioSchema = z
  .object({
    /** Dataset name (`mnist`, `cifar10`, …) or a path to a file or folder. */
    dataset: z.string().min(1).default('mnist'),
    /** Force a dataset format instead of detecting it. */
    format: z.enum(datasetFormats).optional(),
    /** Side length images of an ImageFolder are resized to. */
    imageSize: positiveInt.optional(),
    /** Use only the first `limit` examples of the dataset (quick runs). */
    limit: positiveInt.optional(),
    model: z.enum(['fc', 'fc-small', 'cnn', 'cnn-small', 'text']).default('fc'),
    /** CNNs: factor on every conv layer's filter count (the paper's CNN is 1: 128 → 256 → 512). */
    cnnWidth: z.number().gt(0).default(1),
    /** CNNs: stride per conv layer, 1 or the kernel size (lossless size reduction); a list or "3,1,1"; default all 1. */
    cnnStrides: z
      .union([z.array(positiveInt), z.string().regex(/^\d+(,\d+)*$/, 'expected comma-separated whole numbers such as 3,1,1')])
      .transform((v) => (typeof v === 'string' ? v.split(',').map(Number) : v))
      .optional(),
    /** Width of the first dense layer, the layer the attacks read. */
    neurons: positiveInt.default(1000),
    /** Honest initialisation of every layer (the malicious server then overwrites the first). */
    init: z.enum(['pytorch', 'glorot', 'he-normal', 'glorot-normal']).default('pytorch'),
    /**
     * Text model only: the honest embedding, U[0, 1) (CAH's text set-up; the default when omitted) or N(0, 1)
     * (PyTorch's default). Optional rather than defaulted, so that scenarios without it keep their cell keys.
     */
    embeddingInit: z.enum(['uniform', 'normal']).optional(),
    batchSize: positiveInt.default(100),
    attack: z.enum(scenarioAttacks).default('trap'),
    /** Trap-weight scale s in (0, 1]; omitted → tuned on `tuneOn` auxiliary examples. */
    scale: z.number().gt(0).lte(1).optional(),
    /** Trap-weight σ of the half-normal magnitudes. */
    sigma: z.number().gt(0).default(0.5),
    /** Auxiliary examples the attacker holds (tuning, data statistics, sybils' data); 0 = max(100, examples per update). */
    tuneOn: z.number().int().min(0).default(0),
    /**
     * How a trap server without --scale picks it: 'aux' (grid search on its auxiliary examples, which it knows) or
     * 'blind' (no data: one probe update per grid scale, scored by the distinct valid inputs its own read-out shows;
     * attack/tune-blind.ts).
     */
    tune: z.enum(['aux', 'blind']).default('aux'),
    algorithm: z.enum(['fedsgd', 'fedavg']).default('fedsgd'),
    localEpochs: positiveInt.default(1),
    /** Mini-batches per client per round (FedAvg). */
    batches: positiveInt.default(1),
    learningRate: z.number().gt(0).default(0.1),
    /** Honest clients in the federation (sybils come on top). */
    numClients: positiveInt.default(1),
    /** Clients taking part in each round, sybils included. */
    clientsPerRound: positiveInt.default(1),
    rounds: positiveInt.default(1),
    partition: z.enum(['iid', 'dirichlet', 'single-class']).default('iid'),
    /** Dirichlet concentration α (smaller → more skewed clients). */
    alpha: z.number().gt(0).default(0.5),
    runs: positiveInt.default(1),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    backend: z.enum(['wasm', 'cpu']).default('wasm'),
    /** Differential privacy: none, local (N(0, σ²C²) per client), distributed (N(0, σ²C²/M) per client), central. */
    dp: z.enum(dpChoices).default('none'),
    /** σ: DP noise std in units of the clipping norm (required with a dp mode). */
    noiseMultiplier: z.number().min(0).optional(),
    /** C: every client update is clipped to L2 norm ≤ C (required with dp or secagg). */
    clippingNorm: z.number().gt(0).optional(),
    /** δ of the (ε, δ) guarantee the accountant reports. */
    delta: z.number().gt(0).lt(1).default(1e-5),
    /** Secure aggregation (Bonawitz et al. 2017): the server sees only the sum of each round's updates. */
    secagg: z.boolean().default(false),
    /** t of SecAgg (t-of-n Shamir shares); omitted → ⌊2n/3⌋ + 1 (of each neighbourhood with SecAgg+). */
    secaggThreshold: positiveInt.optional(),
    /**
     * R₀: the range the server states for a clipped update's coordinates in SecAgg's fixed-point code (R = R₀ plus
     * room for noise); omitted → the clipping norm C, the worst case. A smaller R₀ buys precision, and clamps what lies beyond.
     */
    secaggRange: z.number().gt(0).optional(),
    /** SecAgg+ (Bell et al. 2020): k neighbours per client (even); omitted → the original complete graph. */
    secaggNeighbours: positiveInt.optional(),
    /** Fraction of a round's participants (never the target) that drop out, spread over the four SecAgg rounds. */
    dropout: z.number().min(0).lt(1).default(0),
    /** k: participants of each round that the server controls (sybils; they know their own updates, add no noise). */
    sybils: z.number().int().min(0).default(0),
    /** The server sends every honest client but the target a model whose first-layer neurons never fire. */
    inconsistentModels: z.boolean().default(false),
    /** The honest client the server attacks (it always selects it); omitted → the first client drawn each round. */
    target: z.number().int().min(0).optional(),
  })
  .strict();

/** A validated scenario with every default filled in. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** What a caller may pass: any subset of the fields. */
export type ScenarioInput = z.input<typeof scenarioSchema>;

/**
 * Validates a scenario and fills defaults; a bad field, or a combination that cannot work, gives a BAD_SCENARIO
 * error naming the field and the fix.
 * @example const s = parseScenario({ dataset: 'mnist', batchSize: 20 });
 */
export function parseScenario(input: unknown): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = ['scenario', ...issue.path.map(String)].join('.');
    throw new FedleakError('BAD_SCENARIO', issue.message, { path });
  }
  const s = r.data;
  checkCombinations(s);
  return s;
}

function bad(field: keyof Scenario, message: string, hint: string): FedleakError {
  return new FedleakError('BAD_SCENARIO', message, { path: `scenario.${field}`, hint });
}

/** The cross-field rules: each names the field to change and the flag that changes it. */
function checkCombinations(s: Scenario): void {
  if (s.model !== 'text' && s.embeddingInit !== undefined) {
    throw bad('embeddingInit', `--embedding-init sets the text model's embedding, but the model is ${s.model}`, 'add --model text, or drop --embedding-init');
  }
  if (!s.model.startsWith('cnn') && (s.cnnWidth !== 1 || s.cnnStrides !== undefined)) {
    throw bad(s.cnnStrides !== undefined ? 'cnnStrides' : 'cnnWidth', `--cnn-width and --cnn-strides size a CNN, but the model is ${s.model}`,
      'add --model cnn (or cnn-small), or drop the CNN flags');
  }
  if (s.sybils > 0 && s.sybils >= s.clientsPerRound) {
    throw bad('sybils', `${s.sybils} sybils leave no honest client in a round of ${s.clientsPerRound}`,
      `lower --sybils to at most ${s.clientsPerRound - 1} or raise --clients-per-round`);
  }
  if (honestPerRound(s) > s.numClients) {
    throw bad('clientsPerRound',
      `clientsPerRound (${s.clientsPerRound})${s.sybils ? ` − sybils (${s.sybils})` : ''} exceeds numClients (${s.numClients})`,
      'lower --clients-per-round or raise --clients');
  }
  if (s.target !== undefined && s.target >= s.numClients) {
    throw bad('target', `client ${s.target} does not exist: clients are 0..${s.numClients - 1}`, 'pick a --target below --clients');
  }
  if (s.dp !== 'none') {
    if (s.clippingNorm === undefined) {
      throw bad('clippingNorm', `--dp ${s.dp} needs a clipping norm C > 0 (the noise is σ·C)`, 'pass --clipping-norm C, e.g. 1');
    }
    if (s.noiseMultiplier === undefined) {
      throw bad('noiseMultiplier', `--dp ${s.dp} needs a noise multiplier σ ≥ 0`, 'pass --noise-multiplier σ, e.g. 1.1');
    }
  } else if (s.noiseMultiplier !== undefined) {
    throw bad('noiseMultiplier', 'a noise multiplier was given but no DP mode', 'add --dp local|distributed|central, or drop --noise-multiplier');
  }
  if (s.secagg) {
    if (s.clientsPerRound < 2) {
      throw bad('secagg', 'secure aggregation needs at least 2 clients per round', 'raise --clients-per-round (and --clients)');
    }
    if (s.clippingNorm === undefined) {
      throw bad('clippingNorm', 'secure aggregation encodes updates in a fixed range taken from the clipping norm',
        'pass --clipping-norm C (updates are clipped to C and encoded in [−R, R], R = C + room for noise)');
    }
    if (s.secaggNeighbours !== undefined && s.secaggNeighbours < s.clientsPerRound - 1) {
      if (s.secaggNeighbours % 2 !== 0 || s.secaggNeighbours < 2) {
        throw bad('secaggNeighbours', `expected an even number ≥ 2 of neighbours, got ${s.secaggNeighbours}`,
          `use ${Math.max(2, s.secaggNeighbours + 1)}, or 2⌈log₂ n⌉`);
      }
    }
    const m = neighbourhood(s);
    if (s.secaggThreshold !== undefined && s.secaggThreshold > m) {
      throw bad('secaggThreshold', `t = ${s.secaggThreshold} exceeds the ${m} clients that hold each secret's shares`,
        `pass --secagg-threshold ≤ ${m}, or omit it for ${defaultThreshold(s.clientsPerRound, s.secaggNeighbours ?? null)}`);
    }
  } else {
    for (const [field, flag] of [['secaggThreshold', 'secagg-threshold'], ['secaggNeighbours', 'secagg-neighbours'],
      ['secaggRange', 'secagg-range']] as const) {
      if (s[field] !== undefined) throw bad(field, `--${flag} was given without --secagg`, `add --secagg or drop --${flag}`);
    }
    if (s.dropout > 0) {
      throw bad('dropout', 'dropouts are modelled in the secure-aggregation rounds', 'add --secagg or drop --dropout');
    }
  }
  auxSize(s); // sybils need enough auxiliary data for one update
}

/** Clients that hold shares of each client's secrets: all others (original SecAgg) or its k neighbours (SecAgg+). */
function neighbourhood(s: Scenario): number {
  const k = s.secaggNeighbours;
  return k !== undefined && k < s.clientsPerRound - 1 ? k : s.clientsPerRound;
}

/**
 * Honest clients drawn each round: the participants minus the server's sybils.
 * @example honestPerRound(parseScenario({ numClients: 10, clientsPerRound: 10, sybils: 9 })) === 1
 */
export function honestPerRound(s: Scenario): number {
  return s.clientsPerRound - s.sybils;
}

/**
 * The SecAgg threshold t the scenario uses: `secaggThreshold`, or ⌊2n/3⌋ + 1 over the round's n participants
 * (of each neighbourhood with SecAgg+).
 * @example secAggThreshold(parseScenario({ numClients: 100, clientsPerRound: 100, secagg: true, clippingNorm: 1 })) === 67
 */
export function secAggThreshold(s: Scenario): number {
  return s.secaggThreshold ?? defaultThreshold(s.clientsPerRound, s.secaggNeighbours ?? null);
}

/**
 * True when the server reads the round's aggregate (what SecAgg leaves it, or what sybils and inconsistent models
 * isolate) instead of each client's update.
 * @example readsAggregate(parseScenario({ numClients: 2, clientsPerRound: 2, sybils: 1 })) === true
 */
export function readsAggregate(s: Scenario): boolean {
  return s.secagg || s.sybils > 0 || s.inconsistentModels;
}

/** Examples behind one client update: B for FedSGD, K·B for FedAvg (every example may fire a trap neuron). */
export function examplesPerUpdate(s: Scenario): number {
  return s.batchSize * (s.algorithm === 'fedavg' ? s.batches : 1);
}

/**
 * What an attack needs from the attacker's auxiliary data: 'tune' (trap designs without a given scale tune s on
 * it), 'statistics' (QBI, degree and imprint place their biases from it; also any attack registered later), or
 * 'none' (the passive server).
 * @example auxNeed(parseScenario({ attack: 'passive' })) === 'none'
 */
export function auxNeed(s: Scenario): 'tune' | 'statistics' | 'none' {
  const design = s.attack.replace(/\+peel$/, '');
  if (design === 'passive') return 'none';
  if (design === 'trap') return s.scale === undefined && s.tune === 'aux' ? 'tune' : 'none';
  return 'statistics';
}

/**
 * Auxiliary examples the attacker holds for a scenario (0 when it needs none): `tuneOn`, or max(100, examples per
 * update), when its attack tunes or reads statistics, or when it runs sybils (they train on this data).
 */
export function auxSize(s: Scenario): number {
  if (auxNeed(s) === 'none' && s.sybils === 0) return 0;
  const n = s.tuneOn > 0 ? s.tuneOn : Math.max(100, examplesPerUpdate(s));
  if (s.sybils > 0 && n < examplesPerUpdate(s)) {
    throw bad('tuneOn', `sybils train on the attacker's ${n} auxiliary examples but one update needs ${examplesPerUpdate(s)}`,
      `raise --tune-on to at least ${examplesPerUpdate(s)}, or omit it`);
  }
  return n;
}
