import type { Manifest } from './manifest.js';

/** Number of files per `set/split` (split `-` when the set is not split), sorted by key. */
export function countBySetSplit(manifest: Manifest): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of manifest.files) {
    const key = `${entry.set}/${entry.split ?? '-'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A small aligned table of those counts, for the CLI and the README. */
export function formatCounts(manifest: Manifest): string {
  const rows = [...countBySetSplit(manifest)];
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, count]) => `${key.padEnd(width)}  ${String(count).padStart(4)}`).join('\n');
}
