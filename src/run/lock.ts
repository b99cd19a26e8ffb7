import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { Int8calError } from '../core/errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAtomicTempFile } from '../core/atomic.js';
import { runPath } from './layout.js';

/** A held run-directory lock; release it when the stage ends (also on errors). */
export interface RunLock {
  release(): Promise<void>;
}

const WRITABLE = 'the run directory must be writable and its disk not full: fix that or choose another directory';

/**
 * Takes the run directory's lock file (holding our pid), creating the directory if needed.
 * A second int8cal writing the same run is refused; a lock whose process is gone is stale
 * and taken over.
 */
export async function lockRun(runDir: string): Promise<RunLock> {
  try {
    await mkdir(runDir, { recursive: true });
  } catch (error) {
    // A recursive mkdir reports ENOENT for any failure to create a level (EROFS, EACCES…): a plain one says why.
    const reason = await mkdir(runDir).then(() => undefined, (plain: NodeJS.ErrnoException) => (plain.code === 'ENOENT' ? error : plain));
    if (reason !== undefined) {
      throw new Int8calError('RUN_DIR', `Cannot create run directory ${runDir}: ${(reason as Error).message}`, {
        file: runDir, hint: WRITABLE,
      }, { cause: reason });
    }
  }
  const path = runPath(runDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    let handle;
    try {
      handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        // Created but the pid could not be written (disk full): no empty lock left behind.
        if (handle) await handle.close().catch(() => {}).then(() => rm(path, { force: true }));
        throw new Int8calError('RUN_DIR', `Cannot write in run directory ${runDir}: ${(error as Error).message}`, {
          file: runDir, hint: WRITABLE,
        }, { cause: error });
      }
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new Int8calError('RUN_LOCKED', `Run directory ${runDir} is in use by int8cal process ${owner}`, {
          file: path, hint: 'wait for it to finish, or use another --out directory',
        });
      }
      // Stale: its owner is gone (killed), and with it any temp file of a write it had under way.
      const names = await readdir(runDir).catch(() => [] as string[]);
      await Promise.all(names.filter(isAtomicTempFile).map((name) => rm(join(runDir, name), { force: true })));
      await rm(path, { force: true });
    }
  }
  throw new Int8calError('RUN_LOCKED', `Could not take the lock of ${runDir}`, { file: path, hint: 'another int8cal process keeps taking it' });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (killed, not yet reaped by a parent that doesn't reap) no longer runs: its lock is stale.
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync('/proc/self/stat') === false; // gone just now, or no /proc (not Linux): as kill(pid, 0) said
  }
}
