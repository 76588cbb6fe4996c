// Time-ordered UUIDv7 ids made in JS, only for the scopes whose id the application asks
// for (`trace.id`, `span.id`, `parentId`, a sampleRate function): the engine gives every
// other scope its id when the trace crosses, which keeps ids off the per-span path. Random
// bits come from one pooled crypto fill per 256 ids, formatted in the same pass; the time
// prefix is rebuilt only when the millisecond changes.
import { randomFillSync } from 'node:crypto';

const IDS_PER_FILL = 256;
/** Each id's random part, formatted: `7xxx-yxxx-xxxxxxxxxxxx` (22 characters). */
const TAIL_CHARS = 22;
const pool = Buffer.allocUnsafe(16 * IDS_PER_FILL);
let tails = '';
let pos = 0;
let lastMs = -1;
let timePrefix = '';

function refill(): void {
  randomFillSync(pool);
  const formatted: string[] = [];
  for (let i = 0; i < pool.length; i += 16) {
    pool[i + 6] = 0x70 | (pool[i + 6] & 0x0f); // version 7
    pool[i + 8] = 0x80 | (pool[i + 8] & 0x3f); // RFC 4122 variant
    const hex = pool.toString('hex', i + 6, i + 16);
    formatted.push(`${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8)}`);
  }
  tails = formatted.join('');
  pos = 0;
}

/** A new UUIDv7 for Unix milliseconds `ms`: 48 bits of time, then 74 random bits. */
export function newId(ms: number): string {
  if (pos === tails.length) refill();
  const whole = Math.max(0, Math.floor(ms));
  if (whole !== lastMs) {
    lastMs = whole;
    const t = whole.toString(16).padStart(12, '0');
    timePrefix = `${t.slice(0, 8)}-${t.slice(8, 12)}-`;
  }
  const p = pos;
  pos += TAIL_CHARS;
  return timePrefix + tails.slice(p, p + TAIL_CHARS);
}
