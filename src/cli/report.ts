import type { Command } from 'commander';
import { report } from '../pipeline/report.js';
import { action, addOptions } from './action.js';
import { printable } from './printable.js';

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('render RUN/results.json as RUN/report.html (self-contained: open it offline in any browser) and RUN/report.md;\n' +
      'with --baseline, every metric shows its change since that older run (accuracy tracking)');
  addOptions(command, ['run', 'baseline', 'baselineForce'], ['run']);
  command.action(action(async (flags: { run: string; baseline?: string; baselineForce?: boolean }) => {
    const paths = await report(flags);
    process.stdout.write(`${printable(paths.html)}\n${printable(paths.markdown)}\n`);
  }));
}
