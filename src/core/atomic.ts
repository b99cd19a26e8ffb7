import { randomBytes } from 'node:crypto';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Int8calError } from './errors.js';

/** The temp file an atomic write of `path` goes through: `.NAME.<8 hex>.tmp`, next to it. */
const tempPathFor = (path: string): string => join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);

/** Whether a file name is an atomic write's temp file (left only when the process was killed mid-write). */
export const isAtomicTempFile = (name: string): boolean => /^\..+\.[0-9a-f]{8}\.tmp$/.test(name);

/**
 * Fault injection for tests (a full disk without mounting a tmpfs): when this variable names a
 * file (comma-separated base names, or `*`), writing it fails half-way with ENOSPC, as a full
 * disk would. Never set outside tests.
 */
export const FAIL_WRITE_ENV = 'INT8CAL_TEST_FAIL_WRITE';

function injectedFailure(path: string): NodeJS.ErrnoException | undefined {
  const names = process.env[FAIL_WRITE_ENV]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  if (!names.includes(basename(path)) && !names.includes('*')) return undefined;
  return Object.assign(new Error(`ENOSPC: no space left on device, write (simulated by ${FAIL_WRITE_ENV})`), { code: 'ENOSPC' });
}

/**
 * Writes `data` to `path` through a temp file in the same directory and a rename, so a
 * crash or Ctrl-C never leaves a half-written file under the final name.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx');
    try {
      const injected = injectedFailure(path);
      if (injected) {
        await handle.writeFile(typeof data === 'string' ? data.slice(0, data.length / 2) : data.subarray(0, data.length / 2));
        throw injected;
      }
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
  const temp = tempPathFor(to);
  try {
    await copyFile(from, temp);
    const injected = injectedFailure(to);
    if (injected) throw injected;
    await rename(temp, to);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Int8calError('WRITE_FAILED', `Could not copy ${from} to ${to}: ${(error as Error).message}`, {
      file: to, hint: 'check that both paths exist, the target is writable and the disk is not full',
    }, { cause: error });
  }
}
