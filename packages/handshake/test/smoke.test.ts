import { describe, expect, it } from 'vitest';
import {
  acceptUpgrade,
  computeAccept,
  createClientHandshake,
  parseExtensionList,
  ResponseHeadParser,
  serializeSwitchingProtocols,
  serializeUpgradeRequest,
  validateHandshakeResponse,
} from '../src/index.js';
import { text } from './helpers.js';

describe('smoke', () => {
  it('round trip', () => {
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const c = createClientHandshake({ url: 'ws://example.com/chat?x=1', protocols: ['a', 'b'] });
    const req = text(serializeUpgradeRequest(c));
    expect(req).toContain('GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\n');
    const headers = Object.fromEntries(c.headers.map(([n, v]) => [n.toLowerCase(), v]));
    const s = acceptUpgrade({ method: 'GET', httpVersion: '1.1', url: '/chat', headers });
    const bytes = serializeSwitchingProtocols(s);
    const p = new ResponseHeadParser();
    const r = p.push(bytes)!;
    expect(validateHandshakeResponse(c, r.head).protocol).toBe('a');
    expect(parseExtensionList('permessage-deflate; client_max_window_bits, x; a="b"')).toEqual([
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: null }] },
      { name: 'x', params: [{ name: 'a', value: 'b' }] },
    ]);
  });
});
