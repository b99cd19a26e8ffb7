import test from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown, markdownTable } from '../../reports/markdown.js';
import { escapeHtml, escapeMarkdown, safePngDataUri } from '../../reports/escape.js';
import { delta, num, db } from '../../reports/format.js';
import { rebin } from '../../src/pipeline/evaluate/calibration-summary.js';
import { paretoFront, niceTicks } from '../../reports/svg.js';
import { isResults } from '../../reports/results-schema.js';
import { EVIL_FILE, EVIL_TENSOR, PIPE_TENSOR, resultsFixture } from './fixture.js';

test('escaping helpers', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeMarkdown('a|b`c'), 'a\\|b\\`c');
  assert.equal(escapeMarkdown('__init__ <b>'), '\\_\\_init\\_\\_ &lt;b&gt;');
  assert.equal(safePngDataUri('javascript:alert(1)'), undefined);
  assert.equal(safePngDataUri('data:image/png;base64,AAAA"onload="x'), undefined);
  assert.equal(safePngDataUri('data:image/png;base64,iVBORw0KGgo='), 'data:image/png;base64,iVBORw0KGgo=');
});

test('numbers never render as NaN; ∞ is spelled ∞; deltas carry a trend', () => {
  assert.equal(num(NaN), '—');
  assert.equal(num(undefined), '—');
  assert.equal(num(Infinity), '∞');
  assert.equal(num(1234.5678), '1235');
  assert.equal(num(0.012345), '0.01235');
  assert.equal(num(-2.5e-7), '−2.500e−7');
  assert.equal(db('inf'), '∞');
  assert.equal(db(41.234), '41.23 dB');
  assert.deepEqual(delta(41, 40, 'min', ' dB'), { text: '+1.00 dB', trend: 'better' });
  assert.deepEqual(delta(2, 3, 'max'), { text: '−1.00', trend: 'better' });
  assert.deepEqual(delta('inf', 'inf', 'min'), { text: '±0', trend: 'same' });
  assert.deepEqual(delta(35, 'inf', 'min'), { text: 'was ∞', trend: 'worse' });
  assert.equal(delta(1, undefined, 'min'), undefined);
});

test('chart helpers: nice ticks, Pareto front, rebinning keeps bin width', () => {
  assert.deepEqual(niceTicks(0, 10), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0.13, 0.52, 4), [0.2, 0.3, 0.4, 0.5]);
  const pts = [{ label: 'fp32', x: 12, y: Infinity }, { label: 'fp16', x: 15, y: 60 }, { label: 'int8', x: 6, y: 25 }, { label: 'ort', x: 8, y: 40 }];
  assert.deepEqual(paretoFront(pts, 'up').map((p) => p.label), ['int8', 'ort', 'fp32']);
  assert.deepEqual(rebin({ range: 10, counts: [1, 1, 1, 1, 1] }, 2), { range: 12, counts: [3, 2] });
});

test('HTML report: verdict first, self-contained, every name escaped, no NaN', async () => {
  const results = await resultsFixture();
  assert.ok(isResults(JSON.parse(JSON.stringify(results))));
  const html = renderHtml(results);
  assert.ok(!/<script/i.test(html), 'no <script> anywhere');
  assert.ok(!html.includes('javascript:'), 'no javascript: URL survives');
  assert.ok(!html.includes('<img src=x'), 'no injected <img>');
  assert.ok(html.includes(escapeHtml(EVIL_TENSOR)));
  assert.ok(html.includes(escapeHtml(EVIL_FILE)));
  assert.ok(!html.includes(EVIL_FILE), 'the raw file name never appears');
  assert.ok(!html.includes('NaN'));
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'nothing loaded from the network');
  const order = ['id="verdict"', 'id="tradeoff"', 'id="outputs"', 'id="worst"', 'id="latency"', 'id="calibration"', 'id="environment"'].map((s) => html.indexOf(s));
  assert.ok(order.every((p, i) => p > 0 && (i === 0 || p > order[i - 1]!)), `sections in order: ${order}`);
  assert.match(html, /int8: FAIL — psnr of &lt;script&gt;/);
  assert.match(html, /fp16 emulated on CPU/);
  assert.equal((html.match(/<svg /g) ?? []).length, 4, 'two Pareto charts + two histograms');
  assert.equal((html.match(/<img class="thumb" src="data:image\/png;base64,/g) ?? []).length, 3 * 2, 'one valid thumbnail pair per variant; the javascript: one dropped');
  assert.match(html, /∞/);
});

test('strings from results.json never become markup, even where the schema expects a keyword', async () => {
  const results = await resultsFixture();
  const check = results.variants[2]!.verdict.checks[0]!;
  check.verdict = '"><b>x</b>' as never;
  check.source = '<b>source</b>';
  results.variants[2]!.name = '<i>int8</i>';
  const html = renderHtml(results);
  assert.ok(!/<b>|<i>/.test(html), 'no injected elements');
  assert.ok(html.includes('&lt;i&gt;int8&lt;/i&gt;'));
});

test('Markdown report: tables escaped, verdicts, no NaN', async () => {
  const results = await resultsFixture();
  const md = renderMarkdown(results);
  assert.ok(md.startsWith('# int8cal report: \\<script\\>') === false);
  assert.ok(md.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!md.includes('<script'));
  assert.ok(md.includes(escapeMarkdown(PIPE_TENSOR)) && md.includes('a\\|b\\`c'));
  assert.ok(!md.includes('NaN'));
  assert.match(md, /- int8: \*\*FAIL\*\*/);
  assert.match(md, /## Calibration/);
  // every table row has as many cells as its header
  for (const block of md.split('\n\n').filter((b) => b.startsWith('| '))) {
    const lines = block.trim().split('\n');
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    assert.ok(lines.every((l) => cells(l) === cells(lines[0]!)), `ragged table:\n${block}`);
  }
  assert.equal(markdownTable({ columns: ['a'], rows: [] }), '');
});

test('a variant no --fail-on gate judged is judged by the run\'s accuracy target, in both reports', async () => {
  const results = await resultsFixture();
  for (const v of results.variants) v.verdict = { ...v.verdict, verdict: 'none', checks: [] };
  results.accuracyTarget = {
    expression: 'f1>=0.95', source: 'default for task detection',
    variants: [{ name: 'fp16', meets: true, metrics: { f1: 1, psnr: 80 } }, { name: 'int8', meets: false, metrics: { f1: 0.8837, psnr: 39.97 } }],
  };
  const md = renderMarkdown(results);
  assert.match(md, /- fp16: \*\*meets the accuracy target\*\*, f1&gt;=0\.95 \(default for task detection\): f1 1\.000,/);
  assert.match(md, /- int8: \*\*misses the accuracy target\*\*, f1&gt;=0\.95 \(default for task detection\): f1 0\.884,/);
  // int8-ort has no entry in the target: it stays unjudged.
  assert.match(md, /- int8-ort: no threshold applies/);
  assert.match(md, /\| int8 \(tensorrt placement\) \| \*\*misses target\*\* \|/);
  const html = renderHtml(results);
  assert.match(html, /<div class="summary fail">/);
  assert.ok(html.includes('int8: misses the accuracy target f1&gt;=0.95 (default for task detection): f1 0.884'));
});

test('with a baseline every metric shows its change since that run', async () => {
  const current = await resultsFixture(1, '/runs/new');
  const old = await resultsFixture(0.5, '/runs/old');
  const html = renderHtml(current, { baseline: old });
  assert.match(html, /Compared with baseline run \/runs\/old/);
  assert.ok((html.match(/class="delta better"/g) ?? []).length >= 6, 'PSNR, cosine, |Δ|, PD improved');
  assert.match(html, /int8 \(baseline\)/, 'baseline points in the Pareto chart');
  const md = renderMarkdown(current, { baseline: old });
  assert.match(md, /\(▲\+\d+\.\d+ dB\)/);
  assert.ok(!md.includes('NaN') && !html.includes('NaN'));
  // against itself: no change anywhere
  const same = renderHtml(current, { baseline: current });
  assert.ok(!/class="delta (better|worse)"/.test(same));
});

test('auto\'s calibrator check: the report names the runner-up and says when the kept one did not lead on every choosing image', async () => {
  const results = await resultsFixture();
  const confirmed = (wins: number) => ({
    metric: 'psnr', images: 3, kept: 'mse', runnerUp: { calibrator: 'minmax', value: 41.2, psnrWins: wins, images: 3 },
    scores: [{ calibrator: 'mse', value: 42.5, psnrPerImage: [40.1, 44.2, 45] }, { calibrator: 'minmax', value: 41.2, psnrPerImage: [41.3, 41, 42] }],
  });
  const withCheck = (wins: number) => ({ ...results, calibration: { ...results.calibration!, auto: { criterion: 'per tensor, highest SQNR', chosen: { mse: 3 }, confirmed: confirmed(wins) } } });
  const split = renderMarkdown(withCheck(2));
  assert.match(split, /kept mse\. Runner-up minmax; the kept one had the higher PSNR on 2 of 3 images — not on every image/);
  const firm = renderMarkdown(withCheck(3));
  assert.match(firm, /higher PSNR on 3 of 3 images\./);
  assert.doesNotMatch(firm, /not on every image/);
  assert.ok(isResults(withCheck(2)), 'the schema check accepts the record');
});

test('--calibrator-check cross-fit: the report says which candidates tied and that the calibration images decided', async () => {
  const results = await resultsFixture();
  const withFit = (tied: string[]) => ({ ...results, calibration: { ...results.calibration!, auto: { criterion: 'c', chosen: { mse: 3 }, confirmed: {
    metric: 'psnr', images: 3, kept: 'mse', scores: [{ calibrator: 'mse', value: 42.5 }],
    crossFit: { data: '/cal', folds: 2, samples: ['/cal/a.jpg', '/cal/b.jpg', '/cal/c.jpg', '/cal/d.jpg'], tied, psnr: [{ calibrator: 'mse', value: 40 }] },
  } } } });
  assert.match(renderMarkdown(withFit(['minmax', 'mse'])), /could not tell minmax, mse apart .*the 4 calibration images/);
  assert.match(renderMarkdown(withFit(['mse'])), /No other candidate came within 2 standard errors/);
});
