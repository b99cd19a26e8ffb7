/** Report renderers: results.json → report.html / report.md, and the results schema they read. */
export * from './results-schema.js';
export * from './metric-results.js';
export * from './decibels.js';
export * from './verdict.js';
export { renderHtml, type RenderOptions } from './html.js';
export { renderMarkdown } from './markdown.js';
export { escapeHtml, escapeMarkdown } from './escape.js';
