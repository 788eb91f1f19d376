import { describe, expect, it } from 'vitest';
import * as handshake from '../src/index.js';

describe('export surface', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(handshake).sort()).toEqual(
      [
        'HandshakeError',
        'RequestHeadParser',
        'ResponseHeadParser',
        'acceptExtendedConnect',
        'acceptUpgrade',
        'allowsExtendedConnect',
        'computeAccept',
        'createClientHandshake',
        'createOriginPolicy',
        'formatExtensionList',
        'generateKey',
        'getHeader',
        'isValidKey',
        'negotiateUpgrade',
        'parseExtensionList',
        'parseRequestHead',
        'parseWebSocketUrl',
        'rejectionH2',
        'responseHeadersH2',
        'serializeRejection',
        'serializeSwitchingProtocols',
        'serializeUpgradeRequest',
        'setSha1',
        'sha1Portable',
        'validateExtendedConnect',
        'validateHandshakeResponse',
        'validateProtocols',
        'validateUpgradeRequest',
      ].sort(),
    );
  });

  it('the README "API" table lists exactly the runtime exports', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## API'), readme.indexOf('## Errors'));
    const listed = new Set<string>();
    for (const row of table.split('\n').filter((line) => line.startsWith('| `'))) {
      const first = row.split('|')[1]!;
      for (const m of first.matchAll(/`([A-Za-z0-9_]+)`/g)) listed.add(m[1]!);
    }
    expect([...listed].sort()).toEqual(Object.keys(handshake).sort());
  });
});
