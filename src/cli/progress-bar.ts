import type { ProgressEvent } from '../core/progress.js';

/** Renders progress events as a one-line bar on stderr (only on a TTY). */
export function progressBar(enabled: boolean): { update: (e: ProgressEvent) => void; done: () => void } {
  const stream = process.stderr;
  const active = enabled && stream.isTTY === true;
  let started = 0;
  let stage = '';
  let drawn = false;
  return {
    update(e) {
      if (!active) return;
      if (e.stage !== stage) {
        if (drawn) stream.write('\n');
        stage = e.stage;
        started = Date.now();
      }
      const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
      const rate = e.done / seconds;
      const width = 28;
      const fraction = e.total ? Math.min(e.done / e.total, 1) : 0;
      const bar = e.total ? '█'.repeat(Math.round(fraction * width)).padEnd(width, '░') : '';
      const eta = e.total && rate > 0 ? ` ETA ${formatSeconds((e.total - e.done) / rate)}` : '';
      const count = e.total ? `${e.done}/${e.total}` : `${e.done}`;
      stream.write(`\r${e.stage} ${bar} ${count} ${e.unit} ${rate.toFixed(1)} ${e.unit}/s${eta}\x1b[K`);
      drawn = true;
    },
    done() {
      if (active && drawn) stream.write('\n');
      drawn = false;
      stage = '';
    },
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${Math.round(s % 60).toString().padStart(2, '0')}s` : `${Math.round(s)}s`;
}
