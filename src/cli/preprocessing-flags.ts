import type { OptionKey } from '../options.js';

/** The image-preprocessing flags, shared by every command that reads images. */
export const preprocessingFlags = ['preset', 'size', 'layout', 'resize', 'anchor', 'padValue', 'cropFraction', 'mean', 'std', 'scale', 'channelOrder', 'color', 'alpha'] as const satisfies readonly OptionKey[];
