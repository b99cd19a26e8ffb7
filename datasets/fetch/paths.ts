import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (this file runs as dist/datasets/fetch/paths.js, three levels below it). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The folder holding manifest.json, samples/, models/ and the .cache/ of downloads. */
export const datasetsDir = join(repoRoot, 'datasets');
export const manifestPath = join(datasetsDir, 'manifest.json');
export const defaultCacheDir = join(datasetsDir, '.cache');
