/**
 * The live dashboard of `fedleak serve`: rounds, clients, the first (trap) layer, and what the server extracted
 * from every update — original | extracted with A/P/R when the client revealed its batch, counts otherwise — plus
 * the saved simulation reports. Every frame is checked with `dashboardMessageSchema` from src/net/protocol.ts.
 */
import { encodeMessage, readFrame } from '../src/net/codec.js';
import {
  PROTOCOL_VERSION,
  dashboardMessageSchema,
  type ClientInfo,
  type DashboardEvent,
  type ExtractionRecord,
  type ReportSummary,
  type ServerInfo,
} from '../src/net/protocol.js';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const token = new URLSearchParams(location.search).get('token') ?? '';

const clients = new Map<string, ClientInfo>();
const rounds = new Map<number, Extract<DashboardEvent, { event: 'round' }>>();
/** Cards by `${round}/${clientId}`, newest first in the page; their picture URLs are revoked when replaced. */
const cards = new Map<string, { el: HTMLElement; url: string | null }>();
let info: ServerInfo | null = null;
let layerUrl: string | null = null;
const MAX_CARDS = 60;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function pngUrl(png: Uint8Array): string {
  return URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
}

function showHeader(round: number | null, phase: string | null): void {
  if (!info) return;
  const role = $('role');
  role.textContent = info.role === 'honest' ? 'honest server' : `${info.role} server · ${info.attack}${info.scale !== null ? ` s = ${info.scale.toFixed(2)}` : ''}`;
  role.className = `role ${info.role}`;
  const c = info.config;
  $('model').textContent = `${info.spec.arch} N = ${info.spec.neurons} · ${c.dataset} ${c.inputShape.join('×')} · ${c.algorithm} B = ${c.batchSize}`;
  if (round !== null) {
    $('progress').textContent = phase === 'done' ? `all ${c.rounds} rounds done` : `round ${Math.max(0, round) + 1} of ${c.rounds}${phase ? ` · ${phase}` : ''}`;
  }
}

function showClients(): void {
  const rows = [...clients.values()].sort((a, b) => Number(a.clientId.slice(1)) - Number(b.clientId.slice(1))).map((c) => {
    const tr = el('tr');
    tr.dataset.client = c.clientId;
    if (!c.connected) tr.className = 'off';
    tr.append(el('td', c.clientId), el('td', c.name), el('td', c.platform + (c.reveal ? ' · reveals' : '')),
      el('td', String(c.updates), 'num'), el('td', c.lastRound < 0 ? '–' : String(c.lastRound), 'num'));
    return tr;
  });
  $('clients').querySelector('tbody')?.replaceChildren(...rows);
}

function showRounds(): void {
  const rows = [...rounds.values()].sort((a, b) => b.round - a.round).slice(0, 50).map((r) => {
    const tr = el('tr');
    tr.dataset.round = String(r.round);
    tr.dataset.phase = r.phase;
    tr.append(el('td', String(r.round), 'num'), el('td', r.phase), el('td', `${r.received} / ${r.selected.length}`, 'num'),
      el('td', r.failures.map((f) => `${f.clientId}: ${f.error}`).join(', ')));
    return tr;
  });
  $('rounds').querySelector('tbody')?.replaceChildren(...rows);
}

function showLayer(round: number, png: Uint8Array): void {
  if (layerUrl) URL.revokeObjectURL(layerUrl);
  layerUrl = pngUrl(png);
  const img = el('img');
  img.src = layerUrl;
  img.alt = `first layer, round ${round}`;
  const what = info?.role === 'malicious'
    ? 'trap weights: each tile is one neuron\'s weights (red +, blue −); an input fires it alone with high probability'
    : 'honest weights (red +, blue −)';
  $('layer').replaceChildren(el('h2', `First layer sent in round ${round}`), img, el('p', `First 32 of ${info?.spec.neurons ?? '?'} neurons; ${what}.`, 'legend'));
}

function showReports(reports: ReportSummary[]): void {
  const rows = reports.slice(0, 30).map((r) => {
    const tr = el('tr');
    tr.append(el('td', r.path), el('td', r.attack), el('td', String(r.neurons), 'num'), el('td', String(r.batchSize), 'num'),
      el('td', r.recall.toFixed(3), 'num'));
    return tr;
  });
  $('reports').querySelector('tbody')?.replaceChildren(...(rows.length ? rows : [el('tr', 'none found (fedleak attack / demo write results.json)', 'empty')]));
}

function showExtraction(record: ExtractionRecord, png: Uint8Array | null): void {
  const key = `${record.round}/${record.clientId}`;
  const old = cards.get(key);
  const card = el('div', undefined, 'card');
  card.dataset.round = String(record.round);
  card.dataset.client = record.clientId;
  card.dataset.platform = record.platform;
  card.append(el('h3', `round ${record.round} · ${record.clientId} (${record.name}, ${record.platform})`));
  const m = record.metrics;
  const metrics = el('div', undefined, 'metrics');
  if (m) {
    card.dataset.recall = String(m.recall);
    card.dataset.exact = String(m.exactInputs.length);
    metrics.innerHTML = '';
    metrics.append(el('b', `R = ${m.recall.toFixed(3)}`), ` · P = ${m.precision.toFixed(3)} · A = ${m.active.toFixed(3)} — ` +
      `${m.exactInputs.length} of ${m.count} images extracted bit-exact`);
  } else {
    metrics.textContent = `${record.activeNeurons} of ${record.totalNeurons} neurons active · ${record.unique} distinct inputs read out ` +
      `(${record.candidates} rows; no ground truth: the client did not reveal its batch)`;
  }
  card.append(metrics);
  let url: string | null = null;
  if (png) {
    url = pngUrl(png);
    const img = el('img');
    img.src = url;
    img.alt = m ? 'original (top) and extracted (below)' : 'extracted inputs';
    card.append(img);
  }
  card.append(el('div', `read-out ${record.timings.readoutMs.toFixed(1)} ms · decode ${record.timings.decodeMs.toFixed(1)} ms · ` +
    `${record.numExamples} examples (${record.kind})`, 'legend'));
  const box = $('extractions');
  box.querySelector('.empty')?.remove();
  if (old) {
    old.el.replaceWith(card);
    if (old.url) URL.revokeObjectURL(old.url);
  } else {
    box.prepend(card);
  }
  cards.set(key, { el: card, url });
  while (cards.size > MAX_CARDS) {
    const [firstKey, first] = cards.entries().next().value as [string, { el: HTMLElement; url: string | null }];
    first.el.remove();
    if (first.url) URL.revokeObjectURL(first.url);
    cards.delete(firstKey);
  }
}

function onEvent(e: DashboardEvent): void {
  switch (e.event) {
    case 'state':
      info = e.server;
      clients.clear();
      for (const c of e.clients) clients.set(c.clientId, c);
      showHeader(e.round, e.phase);
      showClients();
      if (e.layer) showLayer(e.layer.round, e.layer.png);
      for (const x of e.extractions) showExtraction(x.record, x.png);
      for (const r of e.rounds) rounds.set(r.round, r);
      showRounds();
      showReports(e.reports);
      return;
    case 'client':
      clients.set(e.client.clientId, e.client);
      showClients();
      return;
    case 'round':
      rounds.set(e.round, e);
      showRounds();
      showHeader(e.round, e.phase);
      return;
    case 'layer':
      showLayer(e.round, e.png);
      return;
    case 'extraction':
      showExtraction(e.record, e.png);
      return;
    case 'done':
      $('progress').textContent = `all ${e.rounds} rounds done`;
      document.body.dataset.done = 'true';
      return;
    default: {
      const never: never = e;
      return never;
    }
  }
}

let retry = 500;
function connect(): void {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    retry = 500;
    $('conn').textContent = 'live';
    ws.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, token, role: 'dashboard', platform: 'browser' }));
  };
  ws.onmessage = (ev) => {
    if (!(ev.data instanceof ArrayBuffer)) return;
    const r = readFrame(new Uint8Array(ev.data), dashboardMessageSchema, 2 ** 28);
    if (!r.ok) {
      console.warn(`fedleak dashboard: ignored a bad frame: ${r.code} ${r.message}`);
      return;
    }
    if (r.message.type === 'error') {
      $('conn').textContent = `refused: ${r.message.code} (${r.message.message})`;
      if (r.message.fatal) retry = -1;
      return;
    }
    onEvent(r.message.event);
  };
  ws.onclose = () => {
    if (retry < 0) return;
    $('conn').textContent = `disconnected; retrying in ${(retry / 1000).toFixed(1)} s`;
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 8000);
  };
}
connect();
