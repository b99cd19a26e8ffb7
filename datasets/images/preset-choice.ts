/**
 * Which preprocessing preset int8cal uses for a model, and why: the user's choice, what the
 * model's own metadata says (exporters such as Ultralytics record their task), or the default.
 * `inspect` prints the reason; calibrate uses the same choice.
 */
import { parseChoice } from './parse.js';
import { DEFAULT_PRESET, PRESET_NAMES, type PresetName } from './preprocessing.js';

export interface PresetChoice {
  preset: PresetName;
  /** One sentence, e.g. "given with --preset". */
  reason: string;
}

/** Ultralytics tasks whose models take letterboxed x/255 images. */
const LETTERBOX_TASKS = ['detect', 'segment', 'pose', 'obb'];

export function choosePreset(requested: string | undefined, metadata: Readonly<Record<string, string>> = {}): PresetChoice {
  if (requested !== undefined) return { preset: parseChoice(requested, 'preset', PRESET_NAMES), reason: 'given with --preset' };
  const ultralytics = /ultralytics/i.test(`${metadata.author ?? ''} ${metadata.description ?? ''}`);
  const task = metadata.task ?? '';
  if (ultralytics && LETTERBOX_TASKS.includes(task)) {
    return { preset: 'yolo', reason: `the model's metadata says it is an Ultralytics ${task} model (they take letterboxed RGB, 114 border, x/255)` };
  }
  if (ultralytics && task === 'classify') {
    return { preset: 'yolo-cls', reason: 'the model\'s metadata says it is an Ultralytics classify model (they take RGB, short side to the size, centre crop, x/255)' };
  }
  const known = ultralytics ? ` (an Ultralytics ${task || 'model'} without a preset of its own)` : '';
  return {
    preset: DEFAULT_PRESET,
    reason: `${known ? `the model's metadata names no known preprocessing${known}` : 'nothing in the model records its preprocessing'}; ${DEFAULT_PRESET} (torchvision's convention) is the default — pass --preset, or --scale/--mean/--std, if the model was trained otherwise`,
  };
}

/** ONNX metadata_props as a plain record. */
export function metadataOf(props: readonly { key?: string | null; value?: string | null }[] | null | undefined): Record<string, string> {
  return Object.fromEntries((props ?? []).filter((p) => p.key).map((p) => [p.key!, p.value ?? '']));
}
