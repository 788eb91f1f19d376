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
});
