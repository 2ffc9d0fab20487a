/** The training loss: softmax cross-entropy averaged over the batch (PyTorch's CrossEntropyLoss default). */
import * as tf from '@tensorflow/tfjs';

/**
 * mean over the batch of −log softmax(logits)[label]. The mean (not the sum) matters to the attacks: every
 * per-example gradient carries a factor 1/batch.
 * @example const loss = meanCrossEntropy(logits(spec, vars, x), tf.tensor1d(labels, 'int32'));
 */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, logits.shape[1]);
    const perExample = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
    return tf.mean(perExample) as tf.Scalar;
  });
}
