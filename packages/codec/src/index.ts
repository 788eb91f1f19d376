export type { CloseCodeValue } from './close-codes.js';
export { CloseCode, closeCodeName, isValidWireCloseCode } from './close-codes.js';
export type { FailureCloseCode } from './errors.js';
export { ProtocolError } from './errors.js';
export type { OpcodeValue } from './opcodes.js';
export { isControlOpcode, isReservedOpcode, Opcode, opcodeName } from './opcodes.js';
