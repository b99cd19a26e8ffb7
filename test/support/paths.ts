import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root (tests run from dist/test/…, three levels below it). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const modelsDir = join(repoRoot, 'datasets', 'models');
export const samplesDir = join(repoRoot, 'datasets', 'samples');
/** Team goldens (copied from ../shared/golden so CI on a clean clone has them). */
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

export const model = (file: string): string => join(modelsDir, file);
export const samples = (set: string, split?: 'calibration' | 'evaluation'): string =>
  split ? join(samplesDir, set, split) : join(samplesDir, set);
