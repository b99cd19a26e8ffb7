import { randomBytes } from 'node:crypto';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Int8calError } from '../errors.js';

/**
 * Writes `data` to `path` through a temp file in the same directory and a rename, so a
 * crash or Ctrl-C never leaves a half-written file under the final name.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Int8calError('WRITE_FAILED', `Could not write ${path}: ${(error as Error).message}`, {
      file: path,
      hint: 'check that the directory exists, is writable and the disk is not full',
    }, { cause: error });
  }
}

/** Copies a file atomically (temp file + rename), for large files too. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  const temp = join(dirname(to), `.${basename(to)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await copyFile(from, temp);
    await rename(temp, to);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Int8calError('WRITE_FAILED', `Could not copy ${from} to ${to}: ${(error as Error).message}`, {
      file: to, hint: 'check that both paths exist, the target is writable and the disk is not full',
    }, { cause: error });
  }
}
