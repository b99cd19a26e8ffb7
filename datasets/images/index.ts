/** Images → tensors: the public API of the image-folder reader. */
export {
  PRESET_NAMES,
  PRESETS,
  DEFAULT_PRESET,
  LAYOUTS,
  RESIZE_MODES,
  CHANNEL_ORDERS,
  INTERPOLATIONS,
  ANCHORS,
  COLOR_MODES,
  ALPHA_MODES,
  CHANNEL_COUNTS,
  resolvePreprocessing,
  checkPreprocessing,
  describePreprocessing,
  imageDims,
  type Preprocessing,
  type PreprocessingOptions,
  type ImageInput,
  type PresetName,
  type Layout,
  type ResizeMode,
  type ChannelOrder,
  type Interpolation,
  type Anchor,
  type ColorMode,
  type AlphaMode,
  type ChannelCount,
} from './preprocessing.js';
export { checkUnits } from './units.js';
export { choosePreset, metadataOf, type PresetChoice } from './preset-choice.js';
export { parseSize, parseTriple, parseNumber, parseChoice, type Size, type Triple } from './parse.js';
export { listImages, isImageFile, IMAGE_EXTENSIONS, type ListImagesOptions } from './files.js';
export {
  decodeImage,
  planGeometry,
  tensorSize,
  ImageDecodeError,
  MAX_INPUT_PIXELS,
  type Geometry,
  type DecodeOptions,
  type DecodedImage,
} from './decode.js';
export {
  readBatches,
  DEFAULT_CONCURRENCY,
  type ReadBatchesOptions,
  type ImageBatch,
  type FlatImage,
  type SkippedImage,
  type ReadSummary,
} from './batches.js';
