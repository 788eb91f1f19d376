import { expect, test } from 'vitest';
import * as codec from '../src/index.js';

test('runtime exports of @strata-ws/codec', () => {
  expect(Object.keys(codec).sort()).toEqual(
    [
      'CloseCode',
      'DEFAULT_MAX_PAYLOAD',
      'failureCloseReason',
      'fitCloseReason',
      'writeFrame',
      'FrameParser',
      'Opcode',
      'ProtocolError',
      'Utf8Validator',
      'closeCodeName',
      'decodeClosePayload',
      'encodeClosePayload',
      'encodeFrame',
      'frameHeaderLength',
      'isControlOpcode',
      'isReservedOpcode',
      'isValidUtf8',
      'isValidWireCloseCode',
      'mask',
      'maskInto',
      'opcodeName',
      'parseHeader',
      'processMaskImplementation',
      'setMaskImplementation',
      'setMaskIntoImplementation',
      'setUtf8Validator',
      'writeFrameHeader',
    ].sort(),
  );
});
