import { InvalidArgumentError, Option, type Command } from 'commander';
import { Int8calError } from '../core/errors.js';
import { OPTIONS, type OptionDef, type OptionKey } from '../options.js';
import { applyConfigFile } from './config-file.js';
import { EXIT } from './exit-codes.js';
import { runSupervised, SUPERVISED_ENV, supervisedRunDir } from './supervise.js';

export { EXIT };
import { watchParent } from './parent-watch.js';
import { printable } from './printable.js';

/** Exit codes: 1 = user error (bad input), 2 = a gate failed, 3 = a bug, 130 = interrupted. */

/** Adds options from the one options table to a command. */
export function addOptions(command: Command, keys: readonly OptionKey[], required: readonly OptionKey[] = []): Command {
  for (const key of new Set<OptionKey>([...keys, 'config'])) {
    const def = OPTIONS[key] as OptionDef;
    // Defaults are shown, not applied: the library fills them, so it can tell what the user chose.
    const shown = def.default !== undefined && typeof def.default !== 'boolean' ? ` (default: ${formatDefault(def.default)})` : '';
    const option = new Option(def.flag, `${def.help}${shown}`);
    if (def.choices) option.choices(def.choices);
    if (def.parse) option.argParser((raw: string) => parseOption(def, raw));
    if (required.includes(key)) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/** A bad value is a usage error (commander prints it with the usage hint and exits 1), not a crash. */
function parseOption(def: OptionDef, raw: string): unknown {
  try {
    return def.parse!(raw, def.flag.split(' ')[0]!);
  } catch (error) {
    if (error instanceof Int8calError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number' && value >= 1024 ** 2 && value % 1024 ** 2 === 0) {
    return value % 1024 ** 3 === 0 ? `${value / 1024 ** 3}GiB` : `${value / 1024 ** 2}MiB`;
  }
  return String(value);
}

/**
 * Wraps a command body: maps errors to messages and exit codes. Only the CLI prints and exits.
 * A command that writes a run directory runs supervised, in a child process (supervise.ts), so
 * Ctrl-C stops it within a second or two even while ONNX Runtime blocks the JS thread.
 */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      // Commander calls an action with (...arguments, options, command).
      const ignored = applyConfigFile(args[args.length - 2] as Record<string, unknown>, args[args.length - 1] as Command);
      if (ignored.length && process.env[SUPERVISED_ENV] !== '1') process.stderr.write(`int8cal: warning: ${printable(`the config file's ${ignored.join(', ')} do not apply to this command (ignored)`)}\n`);
      const runDir = supervisedRunDir(args);
      if (process.env[SUPERVISED_ENV] === '1') watchParent();
      process.exitCode = runDir !== undefined ? await runSupervised(runDir) : (await body(...args)) ?? 0;
    } catch (error) {
      const json = (args[args.length - 2] as { json?: unknown } | undefined)?.json === true;
      if (error instanceof Int8calError) {
        process.stderr.write(`\nint8cal: error: ${printable(error.describe())}\n`);
        process.exitCode = error.code === 'INTERRUPTED' ? EXIT.interrupted : EXIT.userError;
        if (json) process.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message, ...error.subject } }, null, 2)}\n`);
      } else {
        process.stderr.write(`\nint8cal: internal error: ${printable((error as Error)?.stack ?? String(error))}\n`);
        process.exitCode = EXIT.internal;
        if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) } }, null, 2)}\n`);
      }
    }
  };
}

