/**
 * Compares TensorRT calibration caches scale by scale: `node dist/bench/tensorrt-golden.js A B…`
 * prints, for each file after the first, the tensor names both share and how many of those are
 * within 1 % (and 2 %, 10 %) of A's scale, plus the names only one has. Used by
 * bench/tensorrt-gpu.sh to check int8cal's bridge against ../shared/golden/tensorrt-10.6.
 */
import { readFileSync } from 'node:fs';
import { parseCache } from '../calibrators/cache.js';

const [reference, ...others] = process.argv.slice(2);
if (!reference || !others.length) {
  console.error('usage: node dist/bench/tensorrt-golden.js REFERENCE.cache OTHER.cache…');
  process.exit(1);
}
const ref = parseCache(readFileSync(reference, 'utf8'), reference);
for (const file of others) {
  const other = parseCache(readFileSync(file, 'utf8'), file);
  const shared = [...ref.scales.keys()].filter((k) => other.scales.has(k));
  const ratio = (k: string) => other.scales.get(k)! / ref.scales.get(k)!;
  const within = (tol: number) => shared.filter((k) => Math.abs(ratio(k) - 1) <= tol).length;
  const worst = [...shared].sort((a, b) => Math.abs(ratio(b) - 1) - Math.abs(ratio(a) - 1)).slice(0, 5);
  const pct = (n: number) => `${n}/${shared.length} (${((100 * n) / Math.max(1, shared.length)).toFixed(1)} %)`;
  console.log(`${file} vs ${reference} (TRT-${other.trtVersion} vs TRT-${ref.trtVersion}):`);
  console.log(`  shared ${shared.length}; only in reference ${ref.scales.size - shared.length}; only here ${other.scales.size - shared.length}`);
  console.log(`  within 1 %: ${pct(within(0.01))}; 2 %: ${pct(within(0.02))}; 10 %: ${pct(within(0.1))}`);
  console.log(`  largest differences: ${worst.map((k) => `${k} ×${ratio(k).toFixed(4)}`).join(', ')}`);
}
