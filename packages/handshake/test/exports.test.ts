/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import * as handshake from '../src/index.js';

describe('export surface', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(handshake).sort()).toEqual(
      [
        'DEFAULT_MAX_HEADER_BYTES',
        'DEFAULT_MAX_HEADER_VALUE_LENGTH',
        'HandshakeError',
        'RequestHeadParser',
        'ResponseHeadParser',
        'SETTINGS_ENABLE_CONNECT_PROTOCOL',
        'WEBSOCKET_GUID',
        'acceptExtendedConnect',
        'acceptUpgrade',
        'allowsExtendedConnect',
        'computeAccept',
        'createClientHandshake',
        'createOriginPolicy',
        'decodeBase64',
        'defaultRandomFill',
        'encodeBase64',
        'formatExtensionList',
        'formatProtocolList',
        'generateKey',
        'getHeader',
        'isToken',
        'isValidHeaderValue',
        'isValidKey',
        'listContainsToken',
        'negotiateUpgrade',
        'parseExtensionList',
        'parseRequestHead',
        'parseProtocolList',
        'parseTokenList',
        'parseUpgradeList',
        'parseWebSocketUrl',
        'rejectionH2',
        'responseHeadersH2',
        'serializeRejection',
        'serializeSwitchingProtocols',
        'serializeUpgradeRequest',
        'setSha1',
        'sha1',
        'sha1Portable',
        'statusText',
        'validateExtendedConnect',
        'validateHandshakeResponse',
        'validateProtocols',
        'validateUpgradeRequest',
      ].sort(),
    );
  });

  it('imports nothing from node:* and uses no Buffer or process (portable)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../src/', import.meta.url);
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = readFileSync(new URL(file, dir), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(source, file).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\./);
      for (const m of source.matchAll(/from '([^']+)'/g)) {
        expect(m[1]!.startsWith('./') || m[1] === '@strata-ws/codec', `${file}: ${m[1]}`).toBe(
          true,
        );
      }
    }
  });
});
