import { execFile } from 'node:child_process';

/** What a finished command printed, and whether it succeeded. */
export interface CommandResult {
  ok: boolean;
  /** Exit code, or null when the command could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program itself could not be started (e.g. ENOENT: not installed). */
  spawnError?: string;
}

/**
 * Runs a program without a shell (arguments are never interpreted) and never throws:
 * callers turn a failure into a user-facing error that names what was being fetched.
 */
export function runCommand(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ ok: true, code: 0, stdout, stderr });
          return;
        }
        const failure = error as Error & { code?: number | string | null; signal?: string | null };
        // A string code like ENOENT or EACCES means the program never ran (ERR_* are Node's own).
        const notStarted = typeof failure.code === 'string' && !failure.code.startsWith('ERR_');
        resolve({
          ok: false,
          code: typeof failure.code === 'number' ? failure.code : null,
          stdout: stdout ?? '',
          stderr: (stderr ?? '') + (failure.signal ? `\n(killed by ${failure.signal})` : ''),
          spawnError: notStarted ? `${program}: ${failure.message}` : undefined,
        });
      },
    );
  });
}

/** The last few non-empty lines of a command's output, for error messages. */
export function lastLines(text: string, count = 4): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(-count)
    .join(' | ');
}
