/**
 * CAH's text model (§7.3, Table 2): Embedding(vocab 10,000, dim 250) over 250-token reviews → Flatten (62,500) →
 * Dense 1000 ReLU (`dense0`, the layer the attacks read) → Dense 1, sigmoid with binary cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { FedleakError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { NamedArrays, Update } from '../types.js';
import { initLayer, type InitScheme } from './init.js';
import { fromTensors } from './params.js';
import type { ParamShape } from './spec.js';

/**
 * The text model's sizes. `inputDim` is dense0's fan-in, seqLen × embedDim: what the read-out recovers per neuron.
 * @example const spec: TextModelSpec = textModelSpec({ neurons: 1000 }); // inputDim 62,500
 */
export interface TextModelSpec {
  arch: 'text';
  vocabSize: number;
  seqLen: number;
  embedDim: number;
  neurons: number;
  inputDim: number;
}

/**
 * The spec of the text model; every size defaults to the paper's (vocabulary 10,000, 250 tokens, dimension 250,
 * 1000 neurons).
 * @throws FedleakError BAD_ARGUMENT when a size is not a positive whole number.
 * @example textModelSpec({ vocabSize: 50, seqLen: 8, embedDim: 4, neurons: 16 }).inputDim; // 32
 */
export function textModelSpec(opts: Partial<Omit<TextModelSpec, 'arch' | 'inputDim'>> = {}): TextModelSpec {
  const s = { vocabSize: 10_000, seqLen: 250, embedDim: 250, neurons: 1000, ...opts };
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new FedleakError('BAD_ARGUMENT', `expected a positive whole number, got ${String(v)}`, {
        path: `model.${k}`,
        hint: 'the paper uses vocabulary 10,000, 250 tokens, embedding dimension 250 and 1000 neurons',
      });
    }
  }
  return { arch: 'text', ...s, inputDim: s.seqLen * s.embedDim };
}

/**
 * Names and shapes of the text model's parameters, in order: `embedding` [vocabSize, embedDim], `dense0/kernel`
 * [seqLen·embedDim, neurons], `dense0/bias`, `dense1/kernel` [neurons, 1], `dense1/bias` [1].
 * @example textParamShapes(textModelSpec()).map((p) => p.name); // ['embedding', 'dense0/kernel', …]
 */
export function textParamShapes(spec: TextModelSpec): ParamShape[] {
  return [
    { name: 'embedding', shape: [spec.vocabSize, spec.embedDim] },
    { name: 'dense0/kernel', shape: [spec.inputDim, spec.neurons] },
    { name: 'dense0/bias', shape: [spec.neurons] },
    { name: 'dense1/kernel', shape: [spec.neurons, 1] },
    { name: 'dense1/bias', shape: [1] },
  ];
}

/**
 * How the honest embedding is drawn: 'uniform' U[0, 1) (CAH's text set-up, so dense0 sees inputs in [0, 1] as with
 * images; Table 2's passive figures are measured on it), or 'normal' N(0, 1) (PyTorch's nn.Embedding default).
 * @example initTextParams(spec, rng, 'pytorch', 'normal' satisfies EmbeddingInit);
 */
export type EmbeddingInit = 'uniform' | 'normal';

/**
 * Honest parameters, from the seeded Rng: the embedding as `embeddingInit` says (default U[0, 1)), then the dense
 * layers as `initParams` draws them (`initLayer`: 'pytorch' weights and biases U(±1/√fanIn); 'glorot',
 * 'he-normal', 'glorot-normal' zero biases).
 * @example const params = initTextParams(textModelSpec(), new Rng(1));
 */
export function initTextParams(
  spec: TextModelSpec,
  rng: Rng,
  init: InitScheme = 'pytorch',
  embeddingInit: EmbeddingInit = 'uniform',
): NamedArrays {
  const shapes = textParamShapes(spec);
  const embedding = new Float32Array(spec.vocabSize * spec.embedDim);
  for (let i = 0; i < embedding.length; i++) embedding[i] = embeddingInit === 'normal' ? rng.normal() : rng.uniform();
  const out: NamedArrays = [{ name: 'embedding', shape: [...shapes[0].shape], data: embedding }];
  for (let p = 1; p < shapes.length; p += 2) {
    const layer = initLayer(rng, shapes[p].shape, shapes[p + 1].shape[0], init);
    out.push({ name: shapes[p].name, shape: [...shapes[p].shape], data: layer.kernel });
    out.push({ name: shapes[p + 1].name, shape: [...shapes[p + 1].shape], data: layer.bias });
  }
  return out;
}

/**
 * A batch of token ids for the text model: `count` reviews of `seqLen` ids (a text Dataset's `inputs` hold them as
 * float32) and their 0/1 labels.
 * @example const batch: TextBatch = { ids: ds.inputs, labels: ds.labels, count: 20 };
 */
export interface TextBatch {
  ids: Float32Array | Int32Array;
  labels: Int32Array;
  count: number;
}

/**
 * The gradient of the mean binary cross-entropy over the first `batchSize` reviews, for every parameter, as fresh
 * NamedArrays (no tensor stays alive). The embedding's gradient is gather's gradient: the gradient of each looked-up
 * row is added onto its word's row (in float32, in position order). It is summed here in JavaScript rather than by
 * TF.js, whose wasm backend has no UnsortedSegmentSum kernel; it costs batch × seqLen × embedDim additions.
 * @throws FedleakError SHAPE_MISMATCH when the params or batch do not fit the spec, BAD_ARGUMENT for an id or label
 *   out of range.
 * @example const grad = textGradient(spec, params, batch, 20); grad[2].data; // dL/d dense0/bias
 */
export function textGradient(spec: TextModelSpec, params: NamedArrays, batch: TextBatch, batchSize: number): NamedArrays {
  checkTextParams(spec, params);
  const ids = checkTextBatch(spec, batch, batchSize, 0);
  const vars = params.slice(1).map((a) => tf.tensor(a.data, a.shape, 'float32'));
  const embedding = tf.tensor2d(params[0].data, [spec.vocabSize, spec.embedDim]);
  try {
    const { dEmbedding, dense } = gradientStep(spec, embedding, vars, ids, batch.labels.subarray(0, batchSize));
    try {
      return [{ name: 'embedding', shape: [spec.vocabSize, spec.embedDim], data: dEmbedding }, ...fromTensors(textParamShapes(spec).slice(1), dense)];
    } finally {
      tf.dispose(dense);
    }
  } finally {
    tf.dispose([embedding, ...vars]);
  }
}

/**
 * Options of {@link textLocalUpdate}: FedSGD (one gradient) or FedAvg (local SGD over `batches` consecutive
 * mini-batches for `localEpochs` passes, sending new − old weights).
 * @example const o: TextUpdateOptions = { algorithm: 'fedsgd', batchSize: 20, clientId: 'c0', round: 0 };
 */
export interface TextUpdateOptions {
  algorithm: 'fedsgd' | 'fedavg';
  batchSize: number;
  batches?: number;
  localEpochs?: number;
  learningRate?: number;
  clientId: string;
  round: number;
}

/**
 * One client's update of the text model: the FedSGD gradient of its first `batchSize` reviews, or FedAvg's weight
 * change after `localEpochs` passes of SGD over `batches` mini-batches (parameters stay on the backend between steps).
 * @example const update = textLocalUpdate(spec, params, batch, { algorithm: 'fedsgd', batchSize: 50, clientId: 'c0', round: 0 });
 */
export function textLocalUpdate(spec: TextModelSpec, params: NamedArrays, batch: TextBatch, opts: TextUpdateOptions): Update {
  const b = opts.batchSize;
  if (opts.algorithm === 'fedsgd') {
    return { clientId: opts.clientId, round: opts.round, kind: 'gradient', numExamples: b, arrays: textGradient(spec, params, batch, b) };
  }
  const k = opts.batches ?? 1;
  const epochs = opts.localEpochs ?? 1;
  const lr = opts.learningRate;
  if (lr === undefined || !(lr > 0) || !Number.isFinite(lr)) {
    throw new FedleakError('BAD_ARGUMENT', `fedavg needs a finite learning rate > 0, got ${String(lr)}`, { path: 'learningRate', hint: 'pass --lr, e.g. 0.1' });
  }
  checkTextParams(spec, params);
  const ids = checkTextBatch(spec, batch, b, k);
  let embedding = tf.tensor2d(params[0].data, [spec.vocabSize, spec.embedDim]);
  let vars = params.slice(1).map((a) => tf.tensor(a.data, a.shape, 'float32'));
  try {
    for (let e = 0; e < epochs; e++) {
      for (let step = 0; step < k; step++) {
        const idsStep = ids.subarray(step * b * spec.seqLen, (step + 1) * b * spec.seqLen);
        const { dEmbedding, dense } = gradientStep(spec, embedding, vars, idsStep, batch.labels.subarray(step * b, (step + 1) * b));
        const next = tf.tidy(() => {
          const dE = tf.tensor2d(dEmbedding, [spec.vocabSize, spec.embedDim]);
          return [tf.sub(embedding, tf.mul(dE, lr)) as tf.Tensor2D, ...vars.map((v, i) => tf.sub(v, tf.mul(dense[i], lr)))];
        });
        tf.dispose([embedding, ...vars, ...dense]);
        embedding = next[0] as tf.Tensor2D;
        vars = next.slice(1);
      }
    }
    const updated = fromTensors(textParamShapes(spec), [embedding, ...vars]);
    updated.forEach((u, i) => {
      const old = params[i].data;
      for (let j = 0; j < u.data.length; j++) u.data[j] -= old[j];
    });
    return { clientId: opts.clientId, round: opts.round, kind: 'delta', numExamples: k * b, arrays: updated };
  } finally {
    tf.dispose([embedding, ...vars]);
  }
}

/**
 * One gradient of the mean BCE: the dense parameters' gradients as tensors (the caller disposes them) and the
 * embedding's as a Float32Array. The looked-up rows are a leaf of the differentiated function, so TF.js never
 * differentiates the gather.
 */
function gradientStep(
  spec: TextModelSpec,
  embedding: tf.Tensor2D,
  vars: tf.Tensor[],
  ids: Int32Array,
  labels: Int32Array,
): { dEmbedding: Float32Array; dense: tf.Tensor[] } {
  const b = labels.length;
  const grads = tf.tidy(() => {
    const x = tf.reshape(tf.gather(embedding, tf.tensor1d(ids, 'int32')), [b, spec.inputDim]);
    const y = tf.tensor2d(Float32Array.from(labels), [b, 1]);
    const loss = (xt: tf.Tensor, w0: tf.Tensor, b0: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor) => {
      const h = tf.relu(tf.add(tf.matMul(xt as tf.Tensor2D, w0 as tf.Tensor2D), b0));
      return meanBinaryCrossEntropy(tf.add(tf.matMul(h, w1 as tf.Tensor2D), b1), y);
    };
    return tf.grads(loss)([x, ...vars]);
  });
  try {
    const dx = grads[0].dataSync() as Float32Array;
    const dEmbedding = new Float32Array(spec.vocabSize * spec.embedDim);
    const d = spec.embedDim;
    for (let r = 0; r < ids.length; r++) {
      const row = ids[r] * d;
      const src = r * d;
      for (let j = 0; j < d; j++) dEmbedding[row + j] += dx[src + j];
    }
    return { dEmbedding, dense: grads.slice(1) };
  } finally {
    grads[0].dispose();
  }
}

/**
 * Mean over the batch of the binary cross-entropy of sigmoid(logits) against 0/1 labels, in the stable form
 * max(z, 0) − z·y + log(1 + e^(−|z|)). Call it inside tf.tidy or tf.grads.
 * @example const loss = meanBinaryCrossEntropy(logits, tf.tensor2d([1, 0], [2, 1]));
 */
export function meanBinaryCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const perExample = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return tf.mean(perExample) as tf.Scalar;
}

/**
 * The text model's sigmoid outputs (probability of "positive") for `count` reviews, for tests and reports.
 * @example const p = textPredict(spec, params, batch.ids, 4); // Float32Array of 4 probabilities
 */
export function textPredict(spec: TextModelSpec, params: NamedArrays, ids: Float32Array | Int32Array, count: number): Float32Array {
  checkTextParams(spec, params);
  const idx = checkTextBatch(spec, { ids, labels: new Int32Array(count), count }, count, 0);
  return tf.tidy(() => {
    const [e, w0, b0, w1, b1] = params.map((a) => tf.tensor(a.data, a.shape, 'float32'));
    const x = tf.reshape(tf.gather(e, tf.tensor1d(idx, 'int32')), [count, spec.inputDim]);
    const h = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w0 as tf.Tensor2D), b0));
    return tf.sigmoid(tf.add(tf.matMul(h, w1 as tf.Tensor2D), b1)).dataSync() as Float32Array;
  }).slice();
}

/** Throws SHAPE_MISMATCH unless `params` are the text model's arrays in order. */
function checkTextParams(spec: TextModelSpec, params: NamedArrays): void {
  const shapes = textParamShapes(spec);
  if (params.length !== shapes.length) {
    throw new FedleakError('SHAPE_MISMATCH', `expected the text model's ${shapes.length} arrays, got ${params.length}`, { path: 'params' });
  }
  shapes.forEach((s, i) => {
    const a = params[i];
    const size = s.shape.reduce((x, y) => x * y, 1);
    if (a.name !== s.name || a.data.length !== size || a.shape.join() !== s.shape.join()) {
      throw new FedleakError('SHAPE_MISMATCH', `expected ${s.name} [${s.shape}], got ${a.name} [${a.shape}] with ${a.data.length} values`, {
        path: `params.${s.name}`,
        hint: 'build the parameters with initTextParams for the same spec',
      });
    }
  });
}

/** Checks ids and labels of `max(1, batches)` mini-batches of `batchSize` and returns the ids as Int32Array. */
function checkTextBatch(spec: TextModelSpec, batch: TextBatch, batchSize: number, batches: number): Int32Array {
  const n = batchSize * Math.max(1, batches);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new FedleakError('BAD_ARGUMENT', `expected a positive whole batch size, got ${batchSize}`, { path: 'batchSize' });
  }
  if (batch.count < n || batch.ids.length < n * spec.seqLen || batch.labels.length < n) {
    throw new FedleakError('SHAPE_MISMATCH', `${n} reviews need ${n * spec.seqLen} ids and ${n} labels, got ${batch.ids.length} and ${batch.labels.length} (count ${batch.count})`, {
      path: 'batch',
      hint: `lower the batch size, or check that reviews hold ${spec.seqLen} tokens`,
    });
  }
  const ids = new Int32Array(n * spec.seqLen);
  for (let i = 0; i < ids.length; i++) {
    const v = batch.ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= spec.vocabSize) {
      throw new FedleakError('BAD_ARGUMENT', `token ${i % spec.seqLen} of review ${Math.floor(i / spec.seqLen)} is ${v}, outside [0, ${spec.vocabSize})`, {
        path: 'batch.ids',
        hint: 'the vocabulary of the data and the model must agree',
      });
    }
    ids[i] = v;
  }
  for (let i = 0; i < n; i++) {
    if (batch.labels[i] !== 0 && batch.labels[i] !== 1) {
      throw new FedleakError('BAD_ARGUMENT', `label ${i} is ${batch.labels[i]}, expected 0 or 1`, { path: 'batch.labels' });
    }
  }
  return ids;
}
