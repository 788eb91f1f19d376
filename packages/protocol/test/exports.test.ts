import * as protocol from '@strata-ws/protocol';
import { expect, it } from 'vitest';

it('exports exactly the documented runtime surface', () => {
  expect(Object.keys(protocol).sort()).toEqual(
    [
      'Connection',
      'ConnectionState',
      'LIMIT_DEFAULTS',
      'PreparedMessage',
      'checkLimit',
      'resolveLimits',
      'setFramePoolLimit',
    ].sort(),
  );
  expect(protocol.ConnectionState).toEqual({ Open: 1, Closing: 2, Closed: 3 });
  expect(Object.isFrozen(protocol.ConnectionState) || typeof protocol.ConnectionState).toBeTruthy();
});
