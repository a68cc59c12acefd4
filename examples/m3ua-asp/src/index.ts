export { M3uaAsp } from './asp.js';
export type { AspOptions, AspState } from './asp.js';
export * from './m3ua.js';
