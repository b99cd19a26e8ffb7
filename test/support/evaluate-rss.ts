/**
 * Child process for memory tests: `node evaluate-rss.js RUN DATA MAX_IMAGES` evaluates the run
 * on the first MAX_IMAGES images and prints {"images", "maxRssKiB"} — its own peak RSS, so
 * nothing the test process holds is counted.
 */
import { evaluate } from '../../src/pipeline/evaluate/index.js';

const [run, data, maxImages] = process.argv.slice(2);
// `npm test` runs every file under dist/test/, this one too, with no arguments: nothing to do then.
if (run && data && maxImages) {
  const results = await evaluate({ run, data, maxImages: Number(maxImages), iterations: 3 });
  process.stdout.write(`${JSON.stringify({ images: results.evaluation.images.length, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}
