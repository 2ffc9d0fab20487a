/** The model check of peeling: is a candidate's second-layer delta what one input with one label gives, in float64? */
import type { NamedArrays } from '../types.js';
import { Rng } from '../tensor/rng.js';

/**
 * The layers after the second dense layer (dense2, dense3, …; ReLU after all but the last, the classifier) and two
 * fixed random probe vectors over the second layer's units.
 * @example const tail = modelTail(params, 128); tail.layers.length; // 1 for fc-small (the classifier)
 */
export interface ModelTail {
  layers: { kernel: Float32Array; bias: Float32Array; fanIn: number; width: number }[];
  /** Rademacher (±1) vectors of the second layer's width. */
  probes: Float64Array[];
}

/**
 * The layers after `dense1` in `params` (dense2/kernel, dense2/bias, …, in order), or null when `dense1` is the
 * classifier (then nothing follows it and the check does not apply).
 * @example const tail = modelTail(crafted.params, 3000);
 */
export function modelTail(params: NamedArrays, width: number): ModelTail | null {
  const layers: ModelTail['layers'] = [];
  let fanIn = width;
  for (let l = 2; ; l++) {
    const k = params.find((a) => a.name === `dense${l}/kernel`);
    const b = params.find((a) => a.name === `dense${l}/bias`);
    if (!k || !b || k.shape.length !== 2 || k.shape[0] !== fanIn || b.data.length !== k.shape[1]) break;
    layers.push({ kernel: k.data, bias: b.data, fanIn, width: k.shape[1] });
    fanIn = k.shape[1];
  }
  if (layers.length === 0) return null;
  const rng = new Rng(0x5eed);
  const probes = [0, 1].map(() => Float64Array.from({ length: width }, () => (rng.uniform() < 0.5 ? -1 : 1)));
  return { layers, probes };
}

/**
 * Checks that `delta`, the second-layer delta read for a candidate whose second-layer pre-activation is `z2`, is
 * what the client's mean loss gives for that one input with some label: δ₂ = D₂W₃D₃ … W_L(p − e_l)/B, with p
 * the softmax of the candidate's logits and B the batch size. Instead of ten backward passes (one per label) it
 * takes two probes u: uᵀδ₂·B must equal qᵀp − q_l with q = W_Lᵀ … D₃W₃ᵀD₂u (one transposed pass each), for the
 * same label l on both probes and no other. A row holding two inputs gives about twice the delta (or a mix of two
 * labels' directions) and fails. Exploits ReLU sparsity: a layer's cost is its active units × its width.
 * Returns the label, or −1 when the delta is not one input's.
 * @example const label = modelCheck(tail, z2, delta, 100, 1e-3); // ≥ 0: one input with that label
 */
export function modelCheck(tail: ModelTail, z2: Float64Array, delta: Float64Array, batchSize: number, tol: number): number {
  // Forward from the second layer's pre-activation to the logits, keeping each hidden layer's activation.
  const acts: Float64Array[] = [relu(z2)];
  let h = acts[0];
  tail.layers.forEach((layer, l) => {
    const z = Float64Array.from(layer.bias);
    for (let i = 0; i < layer.fanIn; i++) {
      const v = h[i];
      if (v === 0) continue;
      for (let o = 0, at = i * layer.width; o < layer.width; o++) z[o] += v * layer.kernel[at + o];
    }
    h = l < tail.layers.length - 1 ? relu(z) : z;
    acts.push(h);
  });
  const logits = h;
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const p = Float64Array.from(logits, (v) => Math.exp(v - max));
  const sum = p.reduce((a, b) => a + b, 0);
  for (let c = 0; c < p.length; c++) p[c] /= sum;

  // The labels that fit every probe; the candidate passes when exactly one does.
  const classes = logits.length;
  const fits = new Uint8Array(classes).fill(1);
  let left = classes;
  for (const u of tail.probes) {
    // q = W_Lᵀ D_{L−1} … W₃ᵀ D₂ u: u masked by the second layer's ReLU, then up through each layer.
    let v = Float64Array.from(u, (x, i) => (acts[0][i] > 0 ? x : 0));
    tail.layers.forEach((layer, l) => {
      const next = new Float64Array(layer.width);
      for (let i = 0; i < layer.fanIn; i++) {
        const x = v[i];
        if (x === 0) continue;
        for (let o = 0, at = i * layer.width; o < layer.width; o++) next[o] += x * layer.kernel[at + o];
      }
      if (l < tail.layers.length - 1) for (let o = 0; o < next.length; o++) if (!(acts[l + 1][o] > 0)) next[o] = 0;
      v = next;
    });
    const q = v;
    let qp = 0;
    let size = 0;
    for (let c = 0; c < classes; c++) {
      qp += q[c] * p[c];
      size = Math.max(size, Math.abs(q[c]));
    }
    let ud = 0;
    let udAbs = 0;
    for (let i = 0; i < u.length; i++) {
      ud += u[i] * delta[i];
      udAbs += Math.abs(delta[i]);
    }
    // uᵀδ₂·B = qᵀp − q_l, to `tol` of the terms' size (the client summed them in float32).
    const lhs = ud * batchSize;
    const slack = tol * (size + udAbs * batchSize);
    for (let c = 0; c < classes; c++) {
      if (fits[c] && !(Math.abs(lhs - (qp - q[c])) <= slack)) {
        fits[c] = 0;
        left--;
      }
    }
    if (left === 0) return -1;
  }
  return left === 1 ? fits.indexOf(1) : -1;
}

function relu(z: Float64Array): Float64Array {
  return Float64Array.from(z, (v) => (v > 0 ? v : 0));
}
