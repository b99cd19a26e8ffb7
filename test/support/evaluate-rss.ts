/**
 * Child process for memory tests: `node evaluate-rss.js RUN DATA MAX_IMAGES` evaluates the run
 * on the first MAX_IMAGES images and prints {"images", "maxRssKiB"} — its own peak RSS, so
 * nothing the test process holds is counted.
 */
import { evaluate } from '../../src/pipeline/evaluate/index.js';

const [run, data, maxImages] = process.argv.slice(2);
const results = await evaluate({ run: run!, data: data!, maxImages: Number(maxImages), iterations: 3 });
process.stdout.write(`${JSON.stringify({ images: results.evaluation.images.length, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
