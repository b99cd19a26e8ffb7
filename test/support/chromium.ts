import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's Chromium (CI's .ci/run installs it); a missing one fails the test with the install command. */
export async function findChromium(): Promise<string> {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      await run(name, ['--version'], { timeout: 30_000 });
      return name;
    } catch { /* try the next name */ }
  }
  assert.fail('chromium is not installed: install it with `apt-get install -y chromium` (CI\'s .ci/run does) to run the browser test of report.html');
}

/** Headless Chromium with the flags this closed network needs; console output on stderr. */
export async function chromium(binary: string, profile: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(binary, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
    '--enable-logging=stderr', '--v=0', ...args,
  ], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
}

/** Browser console lines that mean the page misbehaved. */
export const consoleProblems = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => /Uncaught|:CONSOLE[(:]|Refused to|Content.Security.Policy/i.test(l));
