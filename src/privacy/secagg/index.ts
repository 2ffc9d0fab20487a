/** Public API of secure aggregation (Bonawitz et al. 2017; SecAgg+, Bell et al. 2020): driver, client, server, parts. */
export { runSecAgg, type RunSecAggOptions, type SecAggDropout, type SecAggRunResult, type SecAggTimings } from './protocol.js';
export { SecAggClient, type SecAggClientState } from './client.js';
export { SecAggServer, type RejectedMessage, type SecAggServerState, type SecAggSum } from './server.js';
export { defaultThreshold, secAggConfig, type SecAggConfig, type SecAggConfigOptions } from './config.js';
export {
  BOX_BYTES, SHARE_BYTES, isAbort, messageBytes, roundNames, tooFewAbort, type AdvertiseKeysMsg, type ClientId,
  type ClientMessage, type DroppedMsg, type MaskedInputMsg, type RosterMsg, type SecAggAbort, type SecAggRound,
  type ServerMessage, type ShareKeysMsg, type SharesInboxMsg, type UnmaskMsg, type UnmaskRequestMsg,
} from './messages.js';
export { secAggMask, type SecAggMaskOptions } from './mask-stage.js';
export { maskingGraph, type MaskingGraph } from './graph.js';
export { addInto, quantizer, type Quantizer, type QuantizerOptions } from './quantize.js';
export { addMask, expandMask, SEED_BYTES } from './prg.js';
export {
  decodeShare, elementsFor, encodeShare, MERSENNE_127, primeField, reconstructBytes, reconstructElement, shareBytes,
  shareElement, type PrimeField, type Share,
} from './shamir.js';
export {
  exportPrivateKey, generateKeyPair, importPrivateKey, open, pairwiseKey, seal, utf8, X25519_BYTES, type KeyPair,
  type KeyPurpose,
} from './keys.js';
