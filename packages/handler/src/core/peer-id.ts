/** Peer ids: unique within one process or isolate, short, never reused. Portable. */

let counter = 0;
const prefix = Math.floor(Math.random() * 0x100000000)
  .toString(36)
  .padStart(7, '0');

/** A new peer id (`<random prefix>-<counter>`; the prefix tells processes apart in logs). */
export function nextPeerId(): string {
  counter += 1;
  return `${prefix}-${counter.toString(36)}`;
}
