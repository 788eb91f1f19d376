/**
 * The runtime export surface of both entry points. (The portability of `.` — no host API
 * outside src/node/ — is checked repo-wide by scripts/check-imports.mjs.)
 */

import { describe, expect, it } from 'vitest';
import * as portable from '../src/index.js';
import * as node from '../src/node/index.js';

describe('export surface', () => {
  it('`.` exports exactly the negotiation', () => {
    expect(Object.keys(portable).sort()).toEqual(
      [
        'PERMESSAGE_DEFLATE',
        'PerMessageDeflateClient',
        'PerMessageDeflateServer',
        'parseWindowBits',
      ].sort(),
    );
    expect(portable.PERMESSAGE_DEFLATE).toBe('permessage-deflate');
  });

  it('`./node` exports the engine, the limiter and the negotiators', () => {
    expect(Object.keys(node).sort()).toEqual(
      [
        'DEFAULT_CONTEXT_BUDGET',
        'DeflateContextBudget',
        'PERMESSAGE_DEFLATE',
        'PerMessageDeflate',
        'PerMessageDeflateClient',
        'PerMessageDeflateServer',
        'ZlibLimiter',
        'contextCost',
        'createPerMessageDeflate',
        'deflateFresh',
        'releasePooledZlibStreams',
        'sharedContextBudget',
        'sharedZlibLimiter',
      ].sort(),
    );
    expect(node.PerMessageDeflateServer).toBe(portable.PerMessageDeflateServer);
    expect(node.sharedZlibLimiter()).toBe(node.sharedZlibLimiter());
  });
});
