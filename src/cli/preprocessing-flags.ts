import type { OptionKey } from '../options.js';

/** The image-preprocessing flags, shared by every command that reads images. */
export const preprocessingFlags = ['preset', 'size', 'layout', 'resize', 'mean', 'std', 'scale', 'channelOrder'] as const satisfies readonly OptionKey[];
