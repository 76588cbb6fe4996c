// Time-ordered UUIDv7 ids made in JS: ids are needed while a span is open (trace.id,
// parent links), and asking Rust for one would cost a native call per span. Random bits
// come from one pooled crypto fill (and one hex conversion) per 256 ids; the time prefix
// is rebuilt only when the millisecond changes.
import { randomFillSync } from 'node:crypto';

const IDS_PER_FILL = 256;
const pool = Buffer.allocUnsafe(16 * IDS_PER_FILL);
let hexPool = '';
let pos = 0;
let lastMs = -1;
let timePrefix = '';

function refill(): void {
  randomFillSync(pool);
  for (let i = 0; i < pool.length; i += 16) {
    pool[i + 6] = 0x70 | (pool[i + 6] & 0x0f); // version 7
    pool[i + 8] = 0x80 | (pool[i + 8] & 0x3f); // RFC 4122 variant
  }
  hexPool = pool.toString('hex');
  pos = 0;
}

/** A new UUIDv7: 48-bit Unix milliseconds, then 74 random bits. */
export function newId(): string {
  if (pos === hexPool.length) refill();
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    const t = ms.toString(16).padStart(12, '0');
    timePrefix = `${t.slice(0, 8)}-${t.slice(8, 12)}-`;
  }
  const p = pos;
  pos += 32;
  // Hex digits 12..31 of the 16 random bytes: bytes 6..15 (version, variant, random).
  return `${timePrefix}${hexPool.slice(p + 12, p + 16)}-${hexPool.slice(p + 16, p + 20)}-${hexPool.slice(p + 20, p + 32)}`;
}
