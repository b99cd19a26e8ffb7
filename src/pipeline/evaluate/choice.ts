import { readFile } from 'node:fs/promises';
import { checkCalibration } from '../../run/check.js';
import { readRunJson } from '../../run/files.js';
import { runPath } from '../../run/layout.js';
import { access } from 'node:fs/promises';

/** Images a run made choices on (auto's calibrator check, tune's search), as absolute paths. */
export interface RunChoices {
  /** What chose on them, e.g. ["calibrator check", "tune"]. */
  by: string[];
  data: string[];
  samples: Set<string>;
}

/**
 * The images calibration.json's auto check and tune.json's search were chosen on: judging a
 * variant on them would flatter it (selection bias), so evaluate holds them out.
 */
export async function runChoices(runDir: string): Promise<RunChoices> {
  const choices: RunChoices = { by: [], data: [], samples: new Set() };
  const add = (by: string, data: string | undefined, samples: readonly string[] | undefined) => {
    if (!data || !samples?.length) return;
    choices.by.push(by);
    if (!choices.data.includes(data)) choices.data.push(data);
    for (const s of samples) choices.samples.add(s);
  };
  if (await access(runPath(runDir, 'calibration')).then(() => true, () => false)) {
    const confirmed = (await readRunJson(runDir, 'calibration', checkCalibration, 'calibrate')).auto?.confirmed;
    add('calibrator check', confirmed?.data, confirmed?.samples);
  }
  type Images = { data?: string; samples?: string[] };
  const tune = await readFile(runPath(runDir, 'tune'), 'utf8').then((t) => JSON.parse(t) as { chosenOn?: Images; checkedOn?: Images }, () => undefined);
  add('tune', tune?.chosenOn?.data, tune?.chosenOn?.samples);
  // tune's check images (calibration images) took part in its choice too.
  if (tune?.checkedOn?.data && tune.checkedOn.samples?.length) {
    if (!choices.data.includes(tune.checkedOn.data)) choices.data.push(tune.checkedOn.data);
    for (const s of tune.checkedOn.samples) choices.samples.add(s);
  }
  return choices;
}
