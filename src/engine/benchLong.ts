// The long bench's reading interval, in a module of its own: `npm run bench` checks its
// --steps against it before it loads tfjs (src/engine/bench.ts re-exports it).

/** Steps between the long run's memory readings. */
export const LONG_READ_EVERY = 100;
