/**
 * Labels of a folder-per-class evaluation set (torchvision ImageFolder / Keras layout):
 * `DATA/<class>/…/image.jpg`. Folder names that are all integers are the class indices;
 * otherwise the names in sorted order are classes 0, 1, … (ImageFolder's rule).
 */
import { relative, sep } from 'node:path';
import { Int8calError } from '../../core/errors.js';

export interface ClassFolders {
  /** Class index → folder name. */
  classes: string[];
  /** Rule used to number them. */
  numbering: 'folder-index' | 'sorted-names';
  /** Label of each file, in the order given. */
  labels: number[];
}

export function classFolderLabels(dataDir: string, files: readonly string[]): ClassFolders {
  const folders = files.map((file) => {
    const parts = relative(dataDir, file).split(sep);
    if (parts.length < 2) {
      throw new Int8calError('CLASS_FOLDERS', `Image ${file} is not inside a class folder of ${dataDir}`, {
        file, hint: 'with --class-folders every evaluation image sits in DATA/<class>/ (folder names: class indices, or names numbered in sorted order)',
      });
    }
    return parts[0]!;
  });
  const names = [...new Set(folders)].sort();
  if (names.every((n) => /^\d+$/.test(n))) {
    const top = Math.max(...names.map(Number));
    const classes = Array.from({ length: top + 1 }, (_, i) => names.find((n) => Number(n) === i) ?? String(i));
    return { classes, numbering: 'folder-index', labels: folders.map(Number) };
  }
  return { classes: names, numbering: 'sorted-names', labels: folders.map((f) => names.indexOf(f)) };
}
