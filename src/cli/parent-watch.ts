import { Worker } from 'node:worker_threads';

/** The supervising int8cal's pid, passed to its worker process. */
export const PARENT_ENV = 'INT8CAL_PARENT_PID';
const POLL_MS = 200;

/**
 * The worker process dies with its parent: after `kill -9` of `int8cal` it must not keep
 * running at full CPU, holding the lock and writing the run. ONNX Runtime blocks the main
 * thread for whole batches, so the watch runs on its own thread: when the parent is gone (this
 * process was re-parented) it kills this process at once. Only complete files are left (every
 * write is atomic); the lock is stale and the next int8cal takes it over.
 */
export function watchParent(): void {
  const parent = Number(process.env[PARENT_ENV]);
  if (!Number.isInteger(parent) || parent <= 0) return;
  const code = `
    const { workerData } = require('node:worker_threads');
    const gone = () => { if (process.ppid === workerData.parent) return false; try { process.kill(workerData.parent, 0); return process.ppid !== workerData.parent; } catch { return true; } };
    const check = () => { if (gone()) process.kill(workerData.pid, 'SIGKILL'); };
    check();
    setInterval(check, ${POLL_MS});`;
  const worker = new Worker(code, { eval: true, workerData: { parent, pid: process.pid } });
  worker.unref();
}
