/**
 * Case groups 1-7, 9 and 10 (RFC 6455): the index of the protocol cases, one file per group
 * family — `framing.ts` (1-4), `fragmentation.ts` (5), `utf8.ts` (6), `close.ts` (7),
 * `limits.ts` (9, 10) — written in the vocabulary of `build.ts`. Written from RFC 6455 and the
 * published descriptions of the Autobahn TestSuite's case groups (no case copied).
 */
import { closeCases } from './close.js';
import { fragmentationCases } from './fragmentation.js';
import { framingCases } from './framing.js';
import { limitsCases } from './limits.js';
import type { Case } from './types.js';
import { utf8Cases } from './utf8.js';

/** Every case of groups 1-7, 9 and 10, in group order. */
export function protocolCases(): Case[] {
  return [
    ...framingCases(),
    ...fragmentationCases(),
    ...utf8Cases(),
    ...closeCases(),
    ...limitsCases(),
  ];
}
