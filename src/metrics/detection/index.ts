export * from './boxes.js';
export * from './nms.js';
export * from './match.js';
export * from './ap.js';
export * from './probability-map.js';
export * from './heads/index.js';
