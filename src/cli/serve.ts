/** `fedleak serve`: a real FL server (HTTP + WebSocket) that plays honest, curious or malicious, with a live dashboard. */
import { resolve } from 'node:path';
import { FedleakError } from '../errors.js';
import { parseScenario, auxSize, type Scenario } from '../sim/scenario.js';
import { loadScenarioDataset } from '../sim/run.js';
import { subset } from '../data/index.js';
import { Rng, deriveSeed } from '../tensor/rng.js';
import { FlServer } from '../net/server.js';
import { serverRoles, type ServerRole } from '../net/federation.js';
import { ResultStore } from '../net/store.js';
import { newToken } from '../net/auth.js';
import { webBundles } from '../net/bundle.js';
import type { DashboardEvent } from '../net/protocol.js';
import { parseFlags, scenarioFromFlags, flagHelp, convertFlag } from './flags.js';

/** The scenario fields `serve` takes (the rest describe simulated clients or defenses it does not run). */
const scenarioKeys = [
  'dataset', 'format', 'imageSize', 'limit', 'model', 'neurons', 'init', 'batchSize', 'attack', 'scale', 'sigma',
  'tuneOn', 'algorithm', 'localEpochs', 'batches', 'learningRate', 'clientsPerRound', 'rounds', 'seed',
] as const satisfies readonly (keyof Scenario)[];

type ExtraFlags = NonNullable<Parameters<typeof parseFlags>[1]>;

const serveFlags = {
  host: { flag: 'host', type: 'string', help: 'address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)' },
  port: { flag: 'port', type: 'int', help: 'port (default 8321; 0 picks a free one)' },
  role: { flag: 'role', type: 'string', help: 'honest | curious (reads every update) | malicious (trap weights, then reads; default)' },
  token: { flag: 'token', type: 'string', help: 'the deployment token clients and the dashboard must present (default: random, printed)' },
  minClients: { flag: 'min-clients', type: 'int', help: 'clients connected before a round starts (default: --clients-per-round)' },
  roundTimeout: { flag: 'round-timeout', type: 'number', help: 'seconds a round waits for updates (default 60)' },
  reports: { flag: 'reports', type: 'string', help: 'folder of saved simulation results the dashboard lists (default ./fedleak-out)' },
  exitWhenDone: { flag: 'exit-when-done', type: 'boolean', help: 'exit after the last round (default: keep serving the dashboard)' },
  maxConnections: { flag: 'max-connections', type: 'int', help: 'open connections at most (default 256)' },
} satisfies ExtraFlags;

export const serveHelp = `fedleak serve [flags]
  Runs a federated-learning server on HTTP + WebSocket: clients join with \`fedleak join\` or the browser page
  at /client; the dashboard at /dashboard?token=… shows rounds, clients, the trap layer and what the server
  extracts from each update. Results (JSON and PNG per round and client) go to --out as they arrive; restarting
  with the same --out and flags resumes after the last completed round.

${Object.values(serveFlags).map((f) => `  --${f.flag.padEnd(20)} ${f.help}`).join('\n')}
${flagHelp([...scenarioKeys])}
  --out DIR              results folder (default ./fedleak-out/serve)
  --json                 print events as JSON lines instead of text
`;

/** Runs the command; returns the exit status. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, serveFlags, [...scenarioKeys]);
  if (values.help) {
    process.stdout.write(serveHelp);
    return 0;
  }
  const num = (key: keyof typeof serveFlags) => {
    const f = serveFlags[key];
    const raw = values[f.flag];
    return typeof raw === 'string' ? (convertFlag(f.flag, f.type as 'int' | 'number', raw) as number) : undefined;
  };
  const role = (values.role ?? 'malicious') as string;
  if (!(serverRoles as readonly string[]).includes(role)) {
    throw new FedleakError('BAD_ARGUMENT', `expected ${serverRoles.join(' | ')}, got '${role}'`, { path: '--role' });
  }
  const input = scenarioFromFlags(values);
  const perRound = input.clientsPerRound ?? 1;
  const scenario = parseScenario({ ...input, numClients: perRound });
  if (role === 'malicious' && scenario.attack.startsWith('passive')) {
    throw new FedleakError('BAD_ARGUMENT', `a malicious server plants an active attack, got --attack ${scenario.attack}`, {
      path: '--attack', hint: 'use --role curious for the passive read-out, or --attack trap' });
  }
  const port = num('port') ?? 8321;
  const timeout = num('roundTimeout') ?? 60;
  if (!(timeout > 0)) throw new FedleakError('BAD_ARGUMENT', `expected seconds > 0, got ${timeout}`, { path: '--round-timeout' });
  const minClients = num('minClients') ?? scenario.clientsPerRound;
  if (minClients < 1) throw new FedleakError('BAD_ARGUMENT', `expected at least 1, got ${minClients}`, { path: '--min-clients' });
  const token = typeof values.token === 'string' ? values.token : newToken();
  if (token.length < 8 || token.length > 256) {
    throw new FedleakError('BAD_ARGUMENT', `expected a token of 8 to 256 characters, got ${token.length}`, { path: '--token' });
  }
  const json = values.json === true;
  const outDir = resolve(typeof values.out === 'string' ? values.out : 'fedleak-out/serve');

  const data = await loadScenarioDataset(scenario);
  // The attacker's own data (tuning the trap scale, statistics of other designs): drawn as the simulator draws it.
  const nAux = role === 'malicious' ? Math.min(auxSize(scenario), data.size) : 0;
  const aux = nAux > 0 ? subset(data, new Rng(deriveSeed(scenario.seed, 'split')).permutation(data.size).subarray(0, nAux)) : undefined;
  const server = await FlServer.start({
    scenario, role: role as ServerRole, data, aux, minClients, roundTimeoutMs: Math.round(timeout * 1000),
    store: new ResultStore(outDir), host: typeof values.host === 'string' ? values.host : '127.0.0.1', port, token,
    maxConnections: num('maxConnections'), reportsDir: resolve(typeof values.reports === 'string' ? values.reports : 'fedleak-out'),
    log: json ? undefined : (line) => process.stdout.write(`  ${line}\n`),
  });
  webBundles().catch((e: unknown) => process.stderr.write(`fedleak serve: the web pages failed to build: ${(e as Error).message}\n`));
  const info = server.federation.info;
  if (!json) {
    const c = info.config;
    process.stdout.write(
      `fedleak serve: ${role} server${info.attack !== 'none' ? ` (${info.attack}${info.scale !== null ? `, scale ${info.scale.toFixed(2)}` : ''})` : ''}, ` +
        `${info.spec.arch} N = ${info.spec.neurons} on ${c.dataset}, ${c.algorithm} B = ${c.batchSize}, ${plural(c.rounds, 'round')}, ` +
        `${plural(scenario.clientsPerRound, 'client')} per round (min ${minClients})\n` +
        (server.federation.completedRounds > 0 ? `  resuming after round ${server.federation.completedRounds - 1} (from ${outDir})\n` : '') +
        `  clients:   fedleak join --server ${server.wsUrl} --token ${token}\n` +
        `  browser:   ${server.url}/client?token=${encodeURIComponent(token)}\n` +
        `  dashboard: ${server.url}/dashboard?token=${encodeURIComponent(token)}\n` +
        `  results:   ${outDir}\n`,
    );
  }
  server.federation.subscribe((e) => process.stdout.write(json ? `${JSON.stringify(eventJson(e))}\n` : line(e)));

  const stopped = new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await Promise.race([server.run(), stopped]);
  if (values['exit-when-done'] !== true) {
    if (!json) process.stdout.write('  training is over; the dashboard stays up until Ctrl-C\n');
    await stopped;
  }
  await server.close();
  return 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One human-readable line per event (clients joining are logged by the server itself). */
function line(e: DashboardEvent): string {
  switch (e.event) {
    case 'round':
      return e.phase === 'started'
        ? `round ${e.round}: started with ${e.selected.join(', ')}\n`
        : `round ${e.round}: ${e.phase} (${e.received} of ${e.selected.length} updates${e.failures.length ? `; ${e.failures.map((f) => `${f.clientId} ${f.error}`).join(', ')}` : ''})\n`;
    case 'extraction': {
      const r = e.record;
      const m = r.metrics ? `, revealed: R = ${r.metrics.recall.toFixed(3)} (${r.metrics.exactInputs.length} of ${r.metrics.count} exact)` : '';
      return `round ${r.round}: ${r.clientId} (${r.platform}) ${r.activeNeurons}/${r.totalNeurons} neurons active, ${r.unique} distinct inputs read in ${r.timings.readoutMs.toFixed(1)} ms${m}\n`;
    }
    case 'done':
      return `done: ${e.rounds} rounds\n`;
    case 'client':
    case 'layer':
    case 'state':
      return '';
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** An event as JSON (pictures left out: they are on disk). */
function eventJson(e: DashboardEvent): unknown {
  if (e.event === 'extraction') return { event: e.event, record: e.record };
  if (e.event === 'layer') return { event: e.event, round: e.round };
  if (e.event === 'state') return { event: e.event, round: e.round, phase: e.phase };
  return e;
}
