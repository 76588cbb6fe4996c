// Monotonic times and the wall-clock anchor, the core's convention: a scope records its
// start and end on the monotonic clock, and its trace carries one anchor (the Unix time of
// monotonic zero); the engine turns them into a wall-clock start plus the monotonic elapsed
// time, so clock jumps never produce negative or inflated latencies.
import { performance } from 'node:perf_hooks';

const REANCHOR_MS = 60_000;
let anchorMs = Date.now() - performance.now();
let anchoredAt = performance.now();

/** Monotonic milliseconds. */
export function monoMs(): number {
  return performance.now();
}

/** Unix milliseconds at monotonic zero, for a trace opening at monotonic `mono`.
 * Re-anchored once a minute so a long-lived process follows NTP corrections. */
export function wallAnchorMs(mono: number): number {
  if (mono - anchoredAt > REANCHOR_MS) {
    anchorMs = Date.now() - performance.now();
    anchoredAt = mono;
  }
  return anchorMs;
}
