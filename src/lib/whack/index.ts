/**
 * The whack adapter and its pure parts: version/flags, argv builders, conn
 * file rendering, output parsers, the SA classifier and batching helpers.
 */
export * from './adapter.js';
export * from './addconn.js';
export * from './batch.js';
export * from './briefstatus.js';
export * from './builders.js';
export * from './classify.js';
export * from './conn-file.js';
export * from './connection.js';
export * from './connections.js';
export * from './counter.js';
export * from './errors.js';
export * from './flags.js';
export * from './log-events.js';
export * from './output.js';
export * from './showstates.js';
export * from './trafficstatus.js';
export * from './version.js';
export * from './stuck.js';
