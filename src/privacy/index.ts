/** Public API of fedleak's defenses (PAPER.md §7): clipping, DP noise, RDP accounting and secure aggregation. */
export { clip, l2Norm, type ClipOptions } from './clip.js';
export { addGaussianNoise, fillGaussian, fillUniform, gaussian, randomBytes, webCrypto } from './csprng.js';
export {
  centralNoise, centralNoiseStd, dpModes, dpNoise, dpNoiseStd, type CentralNoiseOptions, type DpMode, type DpNoiseOptions,
} from './dp-noise.js';
export {
  applyMods, checkModOrder, describeMods, modStages, type ClientMod, type MaskStage, type ModInfo, type ModStage,
  type PipelineStage,
} from './mods.js';
export {
  conversions, defaultOrders, epsilon, epsilonByRound, rdpGaussian, rdpToEpsilon, type Conversion, type EpsilonOptions,
  type PrivacySpent, type RdpOptions,
} from './accountant.js';
export * from './secagg/index.js';
