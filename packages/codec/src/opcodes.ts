/** Frame opcodes of RFC 6455 §5.2 (§11.8). */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** A defined (non-reserved) opcode value. */
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

const names: Record<number, string> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

/** The name of an opcode (`'text'`, `'ping'` …), or `'reserved-0xN'` for reserved values. */
export function opcodeName(opcode: number): string {
  return names[opcode] ?? `reserved-0x${opcode.toString(16)}`;
}

/** True for the control opcodes close, ping and pong (and reserved 0xB–0xF). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** True for opcodes RFC 6455 reserves for future use (0x3–0x7, 0xB–0xF). */
export function isReservedOpcode(opcode: number): boolean {
  return names[opcode] === undefined;
}
