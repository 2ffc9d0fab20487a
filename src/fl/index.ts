/** The FL layer: a client's gradient or local training, and the server's FedAvg aggregation and step. */
export { checkBatch, computeGradient, gradientTensors } from './gradient.js';
export { flAlgorithms, localUpdate, type FlAlgorithm, type LocalData, type LocalUpdateOptions } from './client.js';
export { applyUpdate, fedAvgAggregate } from './aggregate.js';
