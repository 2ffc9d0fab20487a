/**
 * `fedleak serve`'s server: HTTP (client page, token-protected dashboard) and WebSocket (/ws) on one port. Every
 * frame is size-checked for the connection's state, decoded to `unknown`, narrowed with protocol.ts's schemas
 * and handed to the Federation; a bad one gets a typed `error` reply and is dropped, never affecting others.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { tokenMatches } from './auth.js';
import { encodeMessage, frameLimits, readFrame } from './codec.js';
import { Federation, type FederationOptions, type Peer } from './federation.js';
import { servePage } from './pages.js';
import {
  PROTOCOL_VERSION,
  clientMessageSchema,
  errorReply,
  limits,
  type ClientMessage,
  type DashboardMessage,
  type NetErrorCode,
  type ServerMessage,
} from './protocol.js';
import { scanReports } from './store.js';

/**
 * Settings of a server: the federation's, plus where to listen, the deployment token and connection limits.
 * @example const server = await FlServer.start({ ...federationOptions, host: '127.0.0.1', port: 0, token });
 */
export interface ServeOptions extends FederationOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  /** Open connections at most (clients and dashboards); more are refused with SERVER_FULL. Default 256. */
  maxConnections?: number;
  /** Client registrations a run accepts at most (each new hello without a known resume id is one). Default 10,000. */
  maxClients?: number;
  /** Bad frames a connection may send before it is closed with TOO_MANY_ERRORS. Default 1000. */
  maxErrors?: number;
  /** A connection that sends no hello within this many ms is closed. Default 10 s. */
  helloTimeoutMs?: number;
  /** Serve the client page and dashboard (built with esbuild on first request). Default true. */
  web?: boolean;
  /** Folder of saved simulation results the dashboard lists (null: none). */
  reportsDir?: string | null;
  log?: (line: string) => void;
}

/** Counters of what the server received and refused. @example server.stats.errors.BAD_ENCODING */
export interface ServerStats {
  frames: number;
  connections: number;
  refused: number;
  errors: Partial<Record<NetErrorCode, number>>;
  /** Error replies not sent because the peer was not reading (its send buffer was full). */
  repliesDropped: number;
}

interface Connection {
  ws: WebSocket;
  state: 'new' | 'client' | 'dashboard';
  clientId: string | null;
  errors: number;
  peer: Peer;
  unsubscribe: (() => void) | null;
}

/** Above this many unsent bytes a peer is not reading: error replies are dropped, dashboards skip events. */
const BACKLOG_BYTES = 4 * 2 ** 20;

/**
 * The HTTP + WebSocket FL server.
 * @example
 * const server = await FlServer.start(opts);
 * console.log(server.wsUrl, server.token);
 * await server.run();       // all rounds
 * await server.close();
 */
export class FlServer {
  readonly stats: ServerStats = { frames: 0, connections: 0, refused: 0, errors: {}, repliesDropped: 0 };
  private readonly connections = new Set<Connection>();
  private readonly clientLimit: number;

  private constructor(
    readonly federation: Federation,
    private readonly opts: ServeOptions,
    private readonly http: Server,
    private readonly wss: WebSocketServer,
  ) {
    this.clientLimit = frameLimits(federation.spec, federation.config).maxBytes;
  }

  /** Builds the federation, then listens. Resolves once the port is bound. */
  static async start(opts: ServeOptions): Promise<FlServer> {
    const federation = await Federation.create(opts);
    const maxPayload = frameLimits(federation.spec, federation.config).maxBytes + 2 ** 20;
    const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
    let self: FlServer | null = null;
    const http = createServer((req, res) => self?.onHttp(req, res));
    http.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => self?.onConnection(ws));
    });
    self = new FlServer(federation, opts, http, wss);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.host, () => resolve());
    });
    return self;
  }

  /** The bound port. */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** http://host:port (client page at /client, dashboard at /dashboard?token=…). */
  get url(): string {
    return `http://${this.opts.host}:${this.port}`;
  }

  /** ws://host:port/ws, what clients join. */
  get wsUrl(): string {
    return `ws://${this.opts.host}:${this.port}/ws`;
  }

  get token(): string {
    return this.opts.token;
  }

  /** WebSocket connections open now (clients, dashboards and those that have not said hello). */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Plays all rounds (see Federation.run). */
  run(): Promise<void> {
    return this.federation.run();
  }

  /** Stops the rounds, closes every connection and the port. */
  async close(): Promise<void> {
    this.federation.stop();
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, protocol: PROTOCOL_VERSION, completedRounds: this.federation.completedRounds, connected: this.federation.connected }));
      return;
    }
    if (this.opts.web === false) {
      res.writeHead(404).end('not found\n');
      return;
    }
    servePage(req, res, { authorized: (t) => tokenMatches(this.opts.token, t) }).catch((e: unknown) => {
      this.opts.log?.(`http: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  }

  private onConnection(ws: WebSocket): void {
    this.stats.connections++;
    const conn: Connection = {
      ws, state: 'new', clientId: null, errors: 0, unsubscribe: null,
      peer: {
        send: (m: ServerMessage) => this.send(conn, encodeMessage(m)),
        sendFrame: (f: Uint8Array) => this.send(conn, f),
        close: () => ws.close(1000, 'replaced or left'),
      },
    };
    ws.on('error', () => {
      // Protocol violations (e.g. a frame above maxPayload) close the socket; 'close' cleans up.
    });
    if (this.connections.size >= (this.opts.maxConnections ?? 256)) {
      this.stats.refused++;
      this.reject(conn, 'SERVER_FULL', `the server holds ${this.connections.size} connections`, null);
      return;
    }
    this.connections.add(conn);
    const helloTimer = setTimeout(() => {
      if (conn.state === 'new') ws.close(1008, 'no hello');
    }, this.opts.helloTimeoutMs ?? 10_000);
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      this.onFrame(conn, bytes, isBinary);
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.connections.delete(conn);
      conn.unsubscribe?.();
      if (conn.clientId) this.federation.detach(conn.clientId, conn.peer);
    });
  }

  private onFrame(conn: Connection, bytes: Uint8Array, isBinary: boolean): void {
    this.stats.frames++;
    if (!isBinary) {
      this.reject(conn, 'BAD_ENCODING', 'expected a binary frame (msgpack), got a text frame', null);
      return;
    }
    const limit = conn.state === 'client' ? this.clientLimit : limits.helloBytes;
    const t0 = performance.now();
    const r = readFrame(bytes, clientMessageSchema, limit);
    const decodeMs = performance.now() - t0;
    if (!r.ok) {
      this.reject(conn, r.code, r.message, r.ref);
      return;
    }
    try {
      this.handle(conn, r.message, decodeMs);
    } catch (e) {
      this.opts.log?.(`internal error on ${r.message.type}: ${(e as Error).stack ?? e}`);
      this.reject(conn, 'INTERNAL', `the server failed on this ${r.message.type}`, r.message.type);
    }
  }

  private handle(conn: Connection, msg: ClientMessage, decodeMs: number): void {
    switch (msg.type) {
      case 'hello': {
        if (conn.state !== 'new') return this.reject(conn, 'UNEXPECTED', 'hello: this connection already said hello', 'hello');
        if (msg.protocol !== PROTOCOL_VERSION) {
          return this.reject(conn, 'VERSION_MISMATCH', `hello.protocol: expected ${PROTOCOL_VERSION}, got ${msg.protocol}`, 'hello');
        }
        if (!tokenMatches(this.opts.token, msg.token)) return this.reject(conn, 'UNAUTHORIZED', 'hello.token: wrong token', 'hello');
        if (msg.role === 'dashboard') {
          conn.state = 'dashboard';
          this.send(conn, encodeMessage({ type: 'event', event: this.federation.snapshot(this.reports()) } satisfies DashboardMessage));
          conn.unsubscribe = this.federation.subscribe((event) => {
            if (conn.ws.bufferedAmount < BACKLOG_BYTES) this.send(conn, encodeMessage({ type: 'event', event } satisfies DashboardMessage));
          });
          return;
        }
        if (!this.federation.knows(msg.resume) && this.federation.registered >= (this.opts.maxClients ?? 10_000)) {
          return this.reject(conn, 'SERVER_FULL', `the server has registered ${this.federation.registered} clients, its limit`, 'hello');
        }
        const welcome = this.federation.register(msg, conn.peer);
        conn.state = 'client';
        conn.clientId = welcome.clientId;
        this.send(conn, encodeMessage(welcome));
        this.opts.log?.(`client ${welcome.clientId} (${msg.platform}${msg.name ? `, ${msg.name}` : ''}) joined`);
        this.federation.attached(welcome.clientId);
        return;
      }
      case 'update':
      case 'reveal':
      case 'leave': {
        if (conn.state !== 'client' || conn.clientId === null) {
          return this.reject(conn, conn.state === 'new' ? 'NOT_REGISTERED' : 'UNEXPECTED',
            `${msg.type}: ${conn.state === 'new' ? 'send hello first' : 'a dashboard sends nothing but hello'}`, msg.type);
        }
        const reply = this.federation.receive(conn.clientId, msg, decodeMs);
        if (reply?.type === 'error') return this.reject(conn, reply.code, reply.message, reply.ref);
        if (reply) this.send(conn, encodeMessage(reply));
        return;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** Counts a refused frame and replies with a typed error; fatal codes and too many errors close the connection. */
  private reject(conn: Connection, code: NetErrorCode, message: string, ref: string | null): void {
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    conn.errors++;
    const tooMany = conn.errors > (this.opts.maxErrors ?? 1000);
    if (tooMany) this.stats.errors.TOO_MANY_ERRORS = (this.stats.errors.TOO_MANY_ERRORS ?? 0) + 1;
    const reply = tooMany ? errorReply('TOO_MANY_ERRORS', `${conn.errors} bad frames`, ref) : errorReply(code, message, ref);
    if (conn.ws.bufferedAmount < BACKLOG_BYTES) this.send(conn, encodeMessage(reply));
    else this.stats.repliesDropped++;
    if (reply.fatal) conn.ws.close(1008, code);
  }

  private send(conn: Connection, frame: Uint8Array): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(frame, { binary: true });
  }

  private reports() {
    return this.opts.reportsDir ? scanReports(this.opts.reportsDir) : [];
  }
}
