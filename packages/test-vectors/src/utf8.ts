/**
 * UTF-8 validation vectors in the style of the Autobahn TestSuite's category 6 (RFC 3629:
 * no overlong forms, no surrogates, nothing over U+10FFFF, no truncated sequences).
 */
import { hex } from './bytes.js';

/** A byte string and whether it is well-formed UTF-8. */
export interface Utf8Vector {
  /** An Autobahn-like case number (6.x.y); the numbering is this package's own. */
  readonly id: string;
  readonly description: string;
  readonly bytes: Uint8Array;
  readonly valid: boolean;
  /**
   * For invalid input, the index of the first byte at which a fail-fast streaming validator
   * knows the text is invalid; `bytes.length` when only the end (a truncated sequence)
   * makes it invalid. `null` for valid input.
   */
  readonly failAt: number | null;
}

/** Valid and invalid UTF-8 cases. */
export const UTF8_VECTORS: readonly Utf8Vector[] = [
  { id: '6.1.1', description: 'empty', bytes: hex(''), valid: true, failAt: null },
  {
    id: '6.2.1',
    description: 'Greek "kosme"',
    bytes: hex('cebae1bdb9cf83cebcceb5'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.3.1',
    description: 'ASCII text',
    bytes: hex('48656c6c6f2c20576562536f636b657421'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.5.1',
    description: 'first 1-byte sequence U+0000',
    bytes: hex('00'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.5.2',
    description: 'first 2-byte sequence U+0080',
    bytes: hex('c280'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.5.3',
    description: 'first 3-byte sequence U+0800',
    bytes: hex('e0a080'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.5.4',
    description: 'first 4-byte sequence U+10000',
    bytes: hex('f0908080'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.6.1',
    description: 'last 1-byte sequence U+007F',
    bytes: hex('7f'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.6.2',
    description: 'last 2-byte sequence U+07FF',
    bytes: hex('dfbf'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.6.3',
    description: 'last 3-byte sequence U+FFFF',
    bytes: hex('efbfbf'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.6.4',
    description: 'last code point U+10FFFF',
    bytes: hex('f48fbfbf'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.7.1',
    description: 'U+D7FF (below the surrogates)',
    bytes: hex('ed9fbf'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.7.2',
    description: 'U+E000 (above the surrogates)',
    bytes: hex('ee8080'),
    valid: true,
    failAt: null,
  },
  { id: '6.7.3', description: 'U+FFFD', bytes: hex('efbfbd'), valid: true, failAt: null },
  {
    id: '6.7.4',
    description: 'noncharacter U+FFFE',
    bytes: hex('efbfbe'),
    valid: true,
    failAt: null,
  },
  { id: '6.7.5', description: 'emoji U+1F600', bytes: hex('f09f9880'), valid: true, failAt: null },
  {
    id: '6.8.1',
    description: 'mixed scripts',
    bytes: hex('4772c3bcc39f652c20e4b896e7958c20f09f8c8d'),
    valid: true,
    failAt: null,
  },
  {
    id: '6.9.1',
    description: 'lone continuation byte 0x80',
    bytes: hex('80'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.9.2',
    description: 'lone continuation byte 0xBF',
    bytes: hex('bf'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.9.3',
    description: 'continuation bytes 80 BF 80',
    bytes: hex('80bf80'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.10.1',
    description: 'lonely 2-byte start followed by space',
    bytes: hex('c020'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.10.2',
    description: 'lonely 3-byte start followed by space',
    bytes: hex('e020'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.10.3',
    description: 'lonely 4-byte start followed by space',
    bytes: hex('f020'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.11.1',
    description: 'truncated 2-byte sequence',
    bytes: hex('c2'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.11.2',
    description: 'truncated 3-byte sequence',
    bytes: hex('e0a0'),
    valid: false,
    failAt: 2,
  },
  {
    id: '6.11.3',
    description: 'truncated 4-byte sequence',
    bytes: hex('f09080'),
    valid: false,
    failAt: 3,
  },
  {
    id: '6.11.4',
    description: 'valid text then a truncated sequence',
    bytes: hex('48656c6c6fe282'),
    valid: false,
    failAt: 7,
  },
  { id: '6.12.1', description: 'impossible byte 0xFE', bytes: hex('fe'), valid: false, failAt: 0 },
  { id: '6.12.2', description: 'impossible byte 0xFF', bytes: hex('ff'), valid: false, failAt: 0 },
  { id: '6.12.3', description: '5-byte form', bytes: hex('f888808080'), valid: false, failAt: 0 },
  { id: '6.12.4', description: '6-byte form', bytes: hex('fc8480808080'), valid: false, failAt: 0 },
  {
    id: '6.13.1',
    description: 'overlong "/" in 2 bytes',
    bytes: hex('c0af'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.13.2',
    description: 'overlong "/" in 3 bytes',
    bytes: hex('e080af'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.13.3',
    description: 'overlong "/" in 4 bytes',
    bytes: hex('f08080af'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.13.4',
    description: 'maximum overlong 2-byte sequence',
    bytes: hex('c1bf'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.13.5',
    description: 'maximum overlong 3-byte sequence',
    bytes: hex('e09fbf'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.13.6',
    description: 'maximum overlong 4-byte sequence',
    bytes: hex('f08fbfbf'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.14.1',
    description: 'high surrogate U+D800',
    bytes: hex('eda080'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.14.2',
    description: 'low surrogate U+DFFF',
    bytes: hex('edbfbf'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.14.3',
    description: 'surrogate pair U+D800 U+DC00 encoded separately',
    bytes: hex('eda080edb080'),
    valid: false,
    failAt: 1,
  },
  {
    id: '6.15.1',
    description: 'code point U+110000',
    bytes: hex('f4908080'),
    valid: false,
    failAt: 1,
  },
  { id: '6.15.2', description: 'lead byte 0xF5', bytes: hex('f5808080'), valid: false, failAt: 0 },
  {
    id: '6.15.3',
    description: 'lead byte 0xF7 (U+1FFFFF)',
    bytes: hex('f7bfbfbf'),
    valid: false,
    failAt: 0,
  },
  {
    id: '6.16.1',
    description: '"kosme" then a surrogate then more text (fail fast)',
    bytes: hex('cebae1bdb9cf83cebcceb5eda080656469746564'),
    valid: false,
    failAt: 12,
  },
  {
    id: '6.16.2',
    description: 'valid prefix then an invalid continuation',
    bytes: hex('48656c6c6fc328'),
    valid: false,
    failAt: 6,
  },
];
