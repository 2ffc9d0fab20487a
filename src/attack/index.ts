/** The attack layer: what a server builds and reads, with no access to ground truth. */
export { attacks, attackNames, isAttackName, type AttackFactory, type AttackName } from './registry.js';
export { passive, type PassiveOptions, type PassiveSecrets } from './passive.js';
export { trap, type TrapOptions, type TrapSecrets } from './trap.js';
export {
  trapWeights,
  drawTrapColumns,
  checkScale,
  checkSigma,
  type DenseWeights,
  type TrapColumn,
  type TrapWeightOptions,
} from './trap-weights.js';
export { tuneScale, defaultScaleGrid, type TuneOptions, type TuneResult } from './tuner.js';
export { readOut, readOutUpdate, type ReadOut } from './readout.js';
export { firingPattern, preactivations, countFirers, isolationRecall, type FiringPattern } from './firing.js';
export { findDense, replaceDense, type DenseLayer } from './layer.js';
