/** The README's library example runs as written (against a temporary run directory). */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './support/paths.js';

const exec = promisify(execFile);

test('README library example: calibrate, build, evaluate, report through the package entry point', async () => {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const code = /<!-- library-example -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, 'README has the library example');
  assert.ok(code.split('\n').filter(Boolean).length <= 12, 'about ten lines');
  const out = await mkdtemp(join(tmpdir(), 'int8cal-readme-'));
  try {
    // Inside the package, so `import … from 'int8cal'` resolves to it by name (package.json "exports").
    const script = join(repoRoot, 'dist', `readme-example-${process.pid}.mjs`);
    await writeFile(script, code.replace("'runs/library'", JSON.stringify(join(out, 'run'))));
    try {
      const { stdout } = await exec(process.execPath, [script], { cwd: repoRoot });
      assert.match(stdout, /^fp16 scores PSNR \d+\.\d+, boxes PSNR \d+\.\d+$/m);
      assert.match(stdout, /^int8 scores PSNR \d+\.\d+/m);
      assert.match(stdout, /^int8-ort scores PSNR \d+\.\d+/m);
      assert.match(stdout, /^report: .*report\.html$/m);
    } finally {
      await rm(script, { force: true });
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
