import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from '../support/paths.js';

const hasCompiler = spawnSync('g++', ['--version']).status === 0;

it('native/core passes its own C++ tests (fast entropy == literal algorithm, blob checks)', { skip: !hasCompiler && 'g++ not found' }, () => {
  const core = join(repoRoot, 'native', 'core');
  const dir = mkdtempSync(join(tmpdir(), 'int8cal-core-'));
  try {
    const binary = join(dir, 'core_test');
    const sources = readdirSync(core).filter((f) => f.endsWith('.cc')).map((f) => join(core, f));
    execFileSync('g++', ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', `-I${core}`, ...sources, join(repoRoot, 'native', 'test', 'core_test.cc'), '-o', binary]);
    const run = spawnSync(binary, { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
