/** Report renderers: results.json → report.html / report.md, and the results schema they read. */
export * from './results-schema.js';
export { renderHtml, type RenderOptions } from './html.js';
export { renderMarkdown } from './markdown.js';
export { summarizeCalibration, type LinearHistogram, type CalibrationSummaryOptions } from './calibration-summary.js';
export { thumbnailDataUri, thumbnailPair, THUMBNAIL_SIZE } from './thumbnails.js';
export { escapeHtml, escapeMarkdown } from './escape.js';
