/**
 * report.html in a real browser: Debian's `chromium` headless (CI's .ci/run installs it).
 * The page is loaded from a file; we check the DOM Chromium built (charts are SVG elements
 * with their marks, the hostile tensor name is text, no script element exists or ran), that
 * the console stayed clean, and that a screenshot renders.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from '../../reports/html.js';
import { resultsFixture } from './fixture.js';
import { chromium, consoleProblems, findChromium } from '../support/chromium.js';

test('report.html renders in headless Chromium: SVG charts, escaped names, no script, no console errors', async (t) => {
  const binary = await findChromium();
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const results = await resultsFixture();
  const page = join(dir, 'report.html');
  await writeFile(page, renderHtml(results, { baseline: await resultsFixture(0.5, '/runs/old') }));
  const url = pathToFileURL(page).href;

  // Control: this Chromium does report console errors on stderr, so a clean log means something.
  const control = join(dir, 'control.html');
  await writeFile(control, '<!DOCTYPE html><html><body><script>console.error("control-error"); throw new Error("control-throw")</script></body></html>');
  const controlLog = (await chromium(binary, join(dir, 'profile-control'), ['--dump-dom', pathToFileURL(control).href])).stderr;
  assert.match(controlLog, /:CONSOLE[(:].*control-error/);
  assert.match(controlLog, /Uncaught Error: control-throw/);

  const dump = await chromium(binary, join(dir, 'profile-dom'), ['--dump-dom', url]);
  const dom = dump.stdout;
  assert.match(dom, /<h1>int8cal report: /, 'the page loaded');
  assert.equal((dom.match(/<svg /g) ?? []).length, 4, 'two Pareto charts and two histograms');
  assert.ok((dom.match(/<circle /g) ?? []).length >= 8, 'one point per variant (+ baseline points)');
  assert.ok((dom.match(/<rect class="bar"/g) ?? []).length > 20, 'histogram bars');
  assert.match(dom, /<line class="threshold"/);
  assert.ok(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the tensor name is text');
  assert.ok(!/<script/i.test(dom), 'no script element in the DOM');
  assert.ok(!dom.includes('<img src="x"'), 'no injected image element');
  assert.ok(!dom.includes('javascript:'));
  assert.deepEqual(consoleProblems(dump.stderr), [], 'browser console stays clean');

  const png = join(dir, 'report.png');
  const shot = await chromium(binary, join(dir, 'profile-shot'), [`--screenshot=${png}`, '--window-size=1200,2000', '--hide-scrollbars', url]);
  const bytes = await readFile(png);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG screenshot');
  assert.ok((await stat(png)).size > 50_000, 'the screenshot has content');
  assert.deepEqual(shot.stderr.split('\n').filter((l) => /Uncaught|:CONSOLE[(:]/.test(l)), []);
  if (process.env.INT8CAL_KEEP_SCREENSHOT) await writeFile(process.env.INT8CAL_KEEP_SCREENSHOT, bytes);
});
