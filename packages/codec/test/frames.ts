/** Frames as the parser tests collect them, and their comparison (shared by the parser tests). */
import { assertBytes } from './host.js';

/** One frame as a test sink records it (the reused header copied, the payload unmasked). */
export interface Collected {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey: number;
  payload: Uint8Array;
}

/** Compares collected frames field by field, payloads byte-wise (fast). */
export function assertFrames(actual: readonly Collected[], expected: readonly Collected[]): void {
  if (actual.length !== expected.length) {
    throw new Error(`${actual.length} frames, expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const fields = [a.fin, a.rsv, a.opcode, a.masked, a.maskKey].join();
    const want = [e.fin, e.rsv, e.opcode, e.masked, e.maskKey].join();
    if (fields !== want) throw new Error(`frame ${i}: ${fields}, expected ${want}`);
    assertBytes(a.payload, e.payload, `frame ${i} payload`);
  }
}
