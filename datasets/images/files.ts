/**
 * Finding the images in a folder: recursive, symlinks followed (each real folder visited once,
 * so loops end), hidden entries (".git", macOS "._x.jpg") ignored, order deterministic.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import type { WarningCallback } from '../../src/core/progress.js';

/** Lower-case extensions read as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif'];

export interface ListImagesOptions {
  /** Told about folders skipped because they were already listed (symlink loops, duplicate links). */
  onWarning?: WarningCallback;
}

/** What a walk found besides images, to explain an empty result. */
interface Census {
  images: string[];
  otherFiles: Map<string, number>;
  folders: number;
  hidden: number;
  brokenLinks: number;
}

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/**
 * All image files under `dir`, as `join(dir, relativePath)`, sorted by relative path in
 * byte (UTF-8) order with "/" separators, so the order does not depend on the file system
 * or the locale.
 */
export async function listImages(dir: string, options: ListImagesOptions = {}): Promise<string[]> {
  const top = await statFolder(dir);
  if (!top.isDirectory()) {
    throw new Int8calError('IMAGE_FOLDER_NOT_DIRECTORY', `Not a folder: ${dir}`, {
      file: dir,
      hint: 'give the folder that contains the images (subfolders are searched too)',
    });
  }
  const census: Census = { images: [], otherFiles: new Map(), folders: 0, hidden: 0, brokenLinks: 0 };
  const visited = new Map<string, string>();
  await walk(dir, '', census, visited, options.onWarning);
  if (census.images.length === 0) {
    throw new Int8calError('NO_IMAGES', `No images in ${dir}: ${describeCensus(census)}`, {
      file: dir,
      hint: `images are files ending in ${IMAGE_EXTENSIONS.join(', ')} (any case), in the folder or its subfolders`,
    });
  }
  const keyed = census.images.map((rel) => ({ rel, key: Buffer.from(rel, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ rel }) => join(dir, rel));
}

async function walk(
  dir: string,
  rel: string,
  census: Census,
  visited: Map<string, string>,
  onWarning: WarningCallback | undefined,
): Promise<void> {
  const real = await realpath(dir).catch((error: unknown) => unreadable(dir, error));
  const first = visited.get(real);
  if (first !== undefined) {
    onWarning?.(`Skipping ${dir}: the same folder as ${first} (symbolic link), already listed`);
    return;
  }
  visited.set(real, dir);
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => unreadable(dir, error));
  // Sorted so that which of two links to one folder is listed does not depend on the file system.
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) {
      census.hidden++;
      continue;
    }
    const path = join(dir, entry.name);
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      if (target === undefined) {
        // A dangling link named like an image is an image we were meant to read.
        if (isImageFile(entry.name)) unreadable(path, new Error('broken symbolic link'));
        census.brokenLinks++;
        continue;
      }
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) {
      census.folders++;
      await walk(path, childRel, census, visited, onWarning);
    } else if (isFile && isImageFile(entry.name)) {
      census.images.push(childRel);
    } else if (isFile) {
      const ext = extname(entry.name).toLowerCase() || '(no extension)';
      census.otherFiles.set(ext, (census.otherFiles.get(ext) ?? 0) + 1);
    }
  }
}

async function statFolder(dir: string): Promise<Stats> {
  try {
    return await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Int8calError('IMAGE_FOLDER_MISSING', `Image folder not found: ${dir}`, {
        file: dir,
        hint: 'check the path (relative paths start from the current directory)',
      });
    }
    return unreadable(dir, error);
  }
}

function unreadable(path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
  throw new Int8calError(
    'IMAGE_FOLDER_UNREADABLE',
    `Cannot read ${path}: ${reason}`,
    { file: path, hint: 'fix the permissions or remove the entry from the image folder' },
    { cause: error },
  );
}

function describeCensus(c: Census): string {
  const files = [...c.otherFiles.values()].reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  if (files > 0) {
    const seen = [...c.otherFiles.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 5)
      .map(([ext, n]) => `${n} ${ext}`);
    parts.push(`${plural(files, 'file')}, none with an image extension (${seen.join(', ')})`);
  }
  if (c.folders > 0) parts.push(`${plural(c.folders, 'subfolder')} searched`);
  if (c.hidden > 0) parts.push(`${plural(c.hidden, 'hidden entry', 'hidden entries')} ignored`);
  if (c.brokenLinks > 0) parts.push(`${plural(c.brokenLinks, 'broken symbolic link')} ignored`);
  return parts.length === 0 ? 'the folder is empty' : parts.join('; ');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
