// `strata connect` over TLS (a self-signed `strata echo --tls`: refused without trust, fine with
// --insecure or --ca) and over HTTP/2 (RFC 8441, `strata echo --http2`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSignedPair } from '../src/tls.js';
import { killAll, run, startEcho } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-cli-tls-'));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('strata connect: TLS and HTTP/2', () => {
  it('a self-signed server: exit 3 with a TLS line; --insecure and --ca connect', async () => {
    const pair = selfSignedPair();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, pair.cert);
    writeFileSync(key, pair.key);
    const { url } = await startEcho(['--tls-cert', cert, '--tls-key', key]);
    expect(url.startsWith('wss://')).toBe(true);
    const untrusted = await run(['connect', url], 'x\n');
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toMatch(
      /^strata connect: TLS failure with 127\.0\.0\.1:\d+: .*--insecure skips the check\n$/,
    );
    const insecure = await run(['connect', url, '--insecure', '-q'], 'over tls\n');
    expect(insecure.stdout).toBe('over tls\n');
    expect(insecure.code).toBe(0);
    const withCa = await run(
      ['connect', url.replace('127.0.0.1', 'localhost'), '--ca', cert, '-q'],
      'trusted\n',
    );
    expect(withCa.stdout).toBe('trusted\n');
    expect(withCa.code).toBe(0);
    const missing = await run(['connect', url, '--ca', join(dir, 'nope.pem')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      `strata connect: cannot read CA certificate ${join(dir, 'nope.pem')}: ENOENT`,
    );
  });

  it('--http2 against an h2c + HTTP/1.1 echo server (RFC 8441 extended CONNECT) echoes', async () => {
    const { url } = await startEcho(['--http2']);
    const r = await run(['connect', url, '--http2', '-q'], 'over h2\n');
    expect(r.stdout).toBe('over h2\n');
    expect(r.code).toBe(0);
  });
});
