import { describe, expect, it } from 'vitest';
import * as client from '../src/index.js';

describe('export surface', () => {
  it('exports exactly the public runtime names', () => {
    expect(Object.keys(client).sort()).toEqual([
      'CloseEvent',
      'WebSocket',
      'WebSocketError',
      'WebSocketStream',
    ]);
  });
});
