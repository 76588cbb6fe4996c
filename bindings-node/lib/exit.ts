// Process-exit delivery. `beforeExit` (the event loop ran dry) flushes every client that
// finished traces since its last flush; the flush runs off the JS thread and, once it
// settles, the loop runs dry again and Node exits. `exit` (process.exit(), or the end after
// beforeExit) can only run synchronous code: it shuts down clients that still hold
// unflushed traces, bounded by their shutdown timeout.

export interface ExitParticipant {
  /** True when traces were finished since the last flush. */
  hasUnflushed(): boolean;
  flushForExit(): Promise<unknown>;
  shutdownForExit(): void;
}

const participants = new Set<ExitParticipant>();
let hooked = false;

function onBeforeExit(): void {
  for (const p of participants) if (p.hasUnflushed()) void p.flushForExit();
}

function onExit(): void {
  for (const p of participants) if (p.hasUnflushed()) p.shutdownForExit();
}

export function registerForExit(p: ExitParticipant): void {
  participants.add(p);
  if (!hooked) {
    hooked = true;
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
}

export function unregisterForExit(p: ExitParticipant): void {
  participants.delete(p);
}
