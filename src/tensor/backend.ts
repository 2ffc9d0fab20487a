/** Chooses and starts the TF.js backend (wasm by default, cpu as the reference) and applies fedleak's fixes. */
import * as tf from '@tensorflow/tfjs';
// Registers the 'wasm' backend with TF.js; the import has no bindings we use.
import '@tensorflow/tfjs-backend-wasm';
import { FedleakError } from '../errors.js';
import { setMatMulGradFix } from './matmul-grad.js';

/**
 * The backends fedleak runs on: `wasm` (XNNPACK with SIMD, one thread in Node; the fast default) and `cpu`
 * (plain JavaScript; slow, but the reference the tests compare against). tfjs-node cannot be installed here.
 * @example if (!backendNames.includes(flag as BackendName)) throw …;
 */
export const backendNames = ['wasm', 'cpu'] as const;

/** One of `backendNames`. @example const name: BackendName = 'cpu'; */
export type BackendName = (typeof backendNames)[number];

/** Text of the banner TF.js's cpu backend prints on its first tensor in Node ("… install our node backend …"). */
const NODE_BANNER = 'tfjs-node';

/**
 * Selects a backend, waits until it is ready and applies the MatMul-gradient fix (once; it only changes wasm).
 * Safe to call again, also to switch backends. Throws BACKEND_UNAVAILABLE when the backend cannot start.
 * @example
 * const name = await setupBackend();      // 'wasm'
 * await setupBackend('cpu');              // the reference, for tests
 */
export async function setupBackend(name: BackendName = 'wasm'): Promise<string> {
  if (!(backendNames as readonly string[]).includes(name)) {
    throw new FedleakError('BACKEND_UNAVAILABLE', `unknown backend "${String(name)}"; expected ${backendNames.join(' or ')}`, {
      path: 'backend',
    });
  }
  setMatMulGradFix(true);
  if (tf.getBackend() !== name) {
    let ok = false;
    let cause: unknown;
    try {
      ok = await tf.setBackend(name);
      await tf.ready();
    } catch (e) {
      cause = e;
    }
    if (!ok || tf.getBackend() !== name) {
      throw new FedleakError('BACKEND_UNAVAILABLE', `the TF.js ${name} backend failed to start`, {
        path: 'backend',
        cause,
        hint: name === 'cpu' ? 'check the @tensorflow/tfjs installation' : undefined,
      });
    }
  }
  silenceNodeBanner();
  return tf.getBackend();
}

/**
 * The cpu backend advertises tfjs-node (which cannot be installed here) with a console banner on its first tensor.
 * Writing that first tensor now, with exactly that message filtered out, keeps every other TF.js warning
 * (PROD mode would hide them all).
 */
function silenceNodeBanner(): void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes(NODE_BANNER)) return;
    warn.apply(console, args);
  };
  try {
    tf.scalar(0).dispose();
  } finally {
    console.warn = warn;
  }
}
