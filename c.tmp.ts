import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './src/tensor/backend.ts';
console.log(await setupBackend('wasm'));
try { const x = tf.ones([1,4,4,1]) as tf.Tensor4D; const f = tf.ones([2,2,1,1]) as tf.Tensor4D;
 tf.grads((a,b)=>tf.sum(tf.conv2d(a as tf.Tensor4D,b as tf.Tensor4D,1,'same')))([x,f]); } catch (e) { console.log('wasm native conv grad:', (e as Error).message); }
console.log(await setupBackend('cpu'));
