import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Int8calError } from '../core/errors.js';
import { OPTIONS, type OptionDef, type OptionKey } from '../options.js';

const flagName = (def: OptionDef): string => def.flag.split(' ')[0]!.replace(/^--/, '');
const BY_FLAG = new Map(Object.entries(OPTIONS).map(([key, def]) => [flagName(def as OptionDef), key as OptionKey]));

/**
 * `--config FILE`: a JSON object of options named as the flags are (`{"batch-size": 4}`).
 * Flags given on the command line win. Keys this command doesn't take are returned (the CLI
 * warns); unknown keys and bad values are errors naming the file and the key.
 */
export function applyConfigFile(flags: Record<string, unknown>, command: Command): string[] {
  const file = flags.config;
  if (typeof file !== 'string') return [];
  const config = readConfig(file);
  const accepted = new Set(command.options.map((o) => o.attributeName()));
  const ignored: string[] = [];
  for (const [name, raw] of Object.entries(config)) {
    const key = BY_FLAG.get(name);
    if (!key || key === 'config') {
      throw new Int8calError('CONFIG_FILE', `${file}: unknown option "${name}"`, { file, hint: 'keys are flag names without the leading --, e.g. "batch-size"; see int8cal <command> --help' });
    }
    if (!accepted.has(key)) { ignored.push(name); continue; }
    if (flags[key] === undefined) flags[key] = configValue(OPTIONS[key] as OptionDef, name, raw, file);
  }
  return ignored;
}

function readConfig(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Int8calError('CONFIG_FILE', `Cannot read config file ${file}: ${(error as Error).message}`, { file, hint: 'give a JSON object of options, e.g. {"calibrator": "percentile"}' }, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Int8calError('CONFIG_FILE', `${file} is not a JSON object of options`, { file, hint: 'e.g. {"calibrator": "percentile", "batch-size": 4}' });
  }
  return parsed as Record<string, unknown>;
}

/** The value as the flag would have given it: the flag's own parser and choices apply. */
function configValue(def: OptionDef, name: string, raw: unknown, file: string): unknown {
  const bad = (expected: string) => new Int8calError('CONFIG_FILE', `${file}: "${name}" must be ${expected}, not ${JSON.stringify(raw)}`, { file, hint: `see --${name} in int8cal <command> --help` });
  const takesValue = def.flag.includes('<');
  if (!takesValue) {
    if (typeof raw !== 'boolean') throw bad('true or false');
    return raw;
  }
  const variadic = def.flag.includes('...>');
  if (variadic) {
    if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) throw bad('an array of strings');
    return raw;
  }
  const text = Array.isArray(raw) ? raw.join(',') : typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
  if (text === undefined) throw bad('a string or a number');
  if (def.choices && !def.choices.includes(text)) throw bad(`one of ${def.choices.join(', ')}`);
  if (!def.parse) return text;
  try {
    return def.parse(text, `--${name}`);
  } catch (error) {
    throw new Int8calError('CONFIG_FILE', `${file}: ${(error as Error).message}`, { file, hint: `see --${name} in int8cal <command> --help` }, { cause: error });
  }
}
