import { describe, expect, it } from 'vitest';
import { createOriginPolicy } from '../src/index.js';

describe('createOriginPolicy (RFC 6455 §10.2)', () => {
  const allow = createOriginPolicy([
    'https://app.example',
    'http://localhost:8080',
    'https://*.example.org',
  ]);

  it.each([
    ['https://app.example', true],
    ['HTTPS://APP.EXAMPLE', true],
    ['https://app.example:443', true],
    ['https://app.example/', true],
    ['http://app.example', false],
    ['https://app.example:8443', false],
    ['https://app.example.evil', false],
    ['https://evilapp.example', false],
    ['http://localhost:8080', true],
    ['http://localhost', false],
    ['https://a.example.org', true],
    ['https://a.b.example.org', true],
    ['https://example.org', false],
    ['https://badexample.org', false],
    ['https://*.example.org', false],
    ['null', false],
    ['garbage', false],
    [undefined, true],
    ['', true],
  ])('%s → %s', (origin, expected) => {
    expect(allow(origin)).toBe(expected);
  });

  it('allowMissing: false refuses origin-less requests; "null" and "*" entries', () => {
    expect(createOriginPolicy(['https://a.example'], { allowMissing: false })(undefined)).toBe(
      false,
    );
    expect(createOriginPolicy(['null'])('null')).toBe(true);
    expect(createOriginPolicy(['*'])('https://anything.example')).toBe(true);
    expect(createOriginPolicy([])('https://a.example')).toBe(false);
  });

  it('IPv6 origins with ports', () => {
    const p = createOriginPolicy(['http://[::1]:3000']);
    expect(p('http://[::1]:3000')).toBe(true);
    expect(p('http://[::1]')).toBe(false);
  });

  it('refuses entries that are not origins', () => {
    expect(() => createOriginPolicy(['app.example'])).toThrow(TypeError);
    expect(() => createOriginPolicy(['https://a.example/path'])).toThrow(TypeError);
  });
});
