// Wall-clock start times in microseconds and monotonic durations, the core's convention:
// a scope's end time is its start plus the monotonic elapsed time, so clock jumps never
// produce negative or inflated latencies.
import { performance } from 'node:perf_hooks';

const REANCHOR_MS = 60_000;
let anchorMs = Date.now() - performance.now();
let anchoredAt = performance.now();

/** Monotonic milliseconds, for measuring durations. */
export function monoMs(): number {
  return performance.now();
}

/** Unix microseconds at the monotonic instant `mono`. Re-anchored to the wall clock once a
 * minute so a long-lived process follows NTP corrections. */
export function wallMicros(mono: number): number {
  if (mono - anchoredAt > REANCHOR_MS) {
    anchorMs = Date.now() - performance.now();
    anchoredAt = mono;
  }
  return Math.round((anchorMs + mono) * 1000);
}
