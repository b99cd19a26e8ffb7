import { Int8calError } from '../core/errors.js';
import type { ProgressCallback, WarningCallback } from '../core/progress.js';
import { printable } from './printable.js';
import { progressBar } from './progress-bar.js';
import { SUPERVISED_ENV } from './supervise.js';

/**
 * What a command needs from the terminal: progress bar, warnings, Ctrl-C/SIGTERM turned into
 * an AbortSignal so the library stops cleanly (its writes are atomic, nothing half-written).
 */
export function cliContext(flags: { quiet?: boolean; json?: boolean }) {
  const bar = progressBar(!flags.quiet && !flags.json);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    // A second Ctrl-C: give up on a clean stop — unless supervised (see supervise.ts), where the
    // parent kills this process and removes what the kill leaves.
    if (signals > 1) {
      if (process.env[SUPERVISED_ENV] !== '1') process.exit(130);
      return;
    }
    bar.done();
    process.stderr.write(`int8cal: ${name} received, stopping (files already written are complete)…\n`);
    controller.abort(new Int8calError('INTERRUPTED', `Interrupted by ${name}`, { hint: 'run the command again to redo the unfinished stage' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onWarning: WarningCallback = (message) => {
    bar.done();
    process.stderr.write(`int8cal: warning: ${printable(message)}\n`);
  };
  const onProgress: ProgressCallback = (event) => bar.update(event);
  return {
    callbacks: { onProgress, onWarning, signal: controller.signal },
    print(value: unknown) {
      bar.done();
      process.stdout.write(typeof value === 'string' ? `${printable(value)}\n` : `${JSON.stringify(value, null, 2)}\n`);
    },
    close() {
      bar.done();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
