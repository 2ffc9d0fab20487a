/**
 * Helpers for the network tests and the bench: a loopback server on a free port with small defaults, Node
 * clients that train on fixed MNIST slices (so a test knows every batch), and a raw WebSocket speaker.
 */
import { WebSocket } from 'ws';
import type { Dataset } from '../types.js';
import { parseScenario, type ScenarioInput } from '../sim/scenario.js';
import { FlServer, type ServeOptions } from './server.js';
import { runClient, localTrainer, type ClientOptions, type ClientSummary } from './client.js';
import { nodeConnect } from './node-transport.js';
import { ResultStore } from './store.js';
import { encodeMessage, readFrame } from './codec.js';
import { PROTOCOL_VERSION, serverMessageSchema, dashboardMessageSchema, type ServerMessage, type DashboardMessage } from './protocol.js';

/** The token test servers use. */
export const TEST_TOKEN = 'test-token-0123456789';

/**
 * Starts a server on 127.0.0.1 with a free port: fc-small, trap scale 0.7, FedSGD; `scenario` and `opts`
 * override. Pages are off unless `web: true`.
 * @example const server = await testServer(ds, { neurons: 500, batchSize: 8, rounds: 3, clientsPerRound: 3 }, { outDir });
 */
export async function testServer(
  data: Dataset,
  scenario: ScenarioInput,
  opts: Partial<ServeOptions> & { outDir?: string } = {},
): Promise<FlServer> {
  const s = parseScenario({ model: 'fc-small', scale: 0.7, numClients: scenario.clientsPerRound ?? 1, ...scenario });
  return FlServer.start({
    scenario: s, role: 'malicious', data, minClients: s.clientsPerRound, roundTimeoutMs: 30_000, host: '127.0.0.1', port: 0,
    token: TEST_TOKEN, web: false, store: new ResultStore(opts.outDir ?? null), ...opts,
  });
}

/**
 * The batch client `index` trains on in `round`: `count` consecutive examples from a slice of its own (disjoint for
 * indices below 8 and rounds × count below 1237).
 * @example const { inputs } = sliceBatch(ds, 0, 1, 8);
 */
export function sliceBatch(data: Dataset, index: number, round: number, count: number): { inputs: Float32Array; labels: Int32Array } {
  const d = data.inputs.length / data.size;
  // 1237 is prime to the 10-digit cycle of the embedded MNIST, so clients hold different digits.
  const start = (index * 1237 + round * count) % (data.size - count);
  return { inputs: data.inputs.slice(start * d, (start + count) * d), labels: data.labels.slice(start, start + count) };
}

/**
 * A Node client over loopback training on `sliceBatch(data, index, …)`.
 * @example const summary = await testClient(server, ds, 0, { reveal: true });
 */
export function testClient(server: FlServer, data: Dataset, index: number, opts: Partial<ClientOptions> = {}): Promise<ClientSummary> {
  return runClient({
    url: server.wsUrl, token: server.token, platform: 'node', name: `node-${index}`, reveal: false, connect: nodeConnect,
    train: localTrainer((round, count) => sliceBatch(data, index, round, count)),
    backoff: { initialMs: 50, maxMs: 500, maxAttempts: 20 },
    ...opts,
  });
}

/**
 * A raw WebSocket to the server that records every decoded reply (for protocol and fuzz tests).
 * @example const s = await rawSocket(server.wsUrl); s.send(frame); await s.waitFor((m) => m.type === 'error');
 */
export async function rawSocket(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  // Listen before 'open': a server that refuses at once sends its error in the same packet as the handshake.
  const socket = new RawSocket(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return socket;
}

/** See {@link rawSocket}. */
export class RawSocket {
  readonly replies: (ServerMessage | DashboardMessage)[] = [];
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const bytes = data as Buffer;
      const r = readFrame(bytes, serverMessageSchema, 2 ** 30);
      const d = r.ok ? r : readFrame(bytes, dashboardMessageSchema, 2 ** 30);
      if (d.ok) this.replies.push(d.message);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: Uint8Array | string): void {
    if (this.open) this.ws.send(frame, { binary: typeof frame !== 'string' });
  }

  /** Says hello as a client (or dashboard) with the given token. */
  hello(token: string, role: 'client' | 'dashboard' = 'client', extra: Record<string, unknown> = {}): void {
    this.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, token, role, platform: 'other', ...extra }));
  }

  /** Resolves with the first reply (from `from` on) that matches, or rejects after `ms`. */
  async waitFor<T extends ServerMessage | DashboardMessage>(match: (m: ServerMessage | DashboardMessage) => m is T, from?: number, ms?: number): Promise<T>;
  async waitFor(match: (m: ServerMessage | DashboardMessage) => boolean, from?: number, ms?: number): Promise<ServerMessage | DashboardMessage>;
  async waitFor(match: (m: ServerMessage | DashboardMessage) => boolean, from = 0, ms = 5000): Promise<ServerMessage | DashboardMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.replies.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching reply within ${ms} ms (got ${this.replies.map((r) => r.type).join(', ')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
