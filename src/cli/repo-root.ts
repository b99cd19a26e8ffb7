import { fileURLToPath } from 'node:url';

/** The package's root folder (the CLI runs from dist/src/cli/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
