import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { derInteger, hasOpenssl, selfSignedPair } from '../src/tls.js';

type Pair = { cert: Buffer; key: Buffer; source: string };
const generators = (['node:crypto', ...(hasOpenssl() ? ['openssl'] : [])] as const).map((g) => [g]);

describe('self-signed TLS pair for the serving commands', () => {
  it.each(generators)(
    '%s: a certificate for localhost, 127.0.0.1 and ::1 that a TLS client accepts',
    async (how) => {
      const { cert, key, source } = selfSignedPair(how) as Pair;
      expect(source).toContain(how);
      const x509 = new X509Certificate(cert);
      expect(x509.subject).toBe('CN=localhost');
      expect(x509.subjectAltName).toBe(
        'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      );
      expect(x509.verify(x509.publicKey)).toBe(true); // self-signed
      expect(x509.ca).toBe(false);
      const server = createServer({ cert, key }, (_req, res) => res.end('ok'));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        // Verified against the certificate itself, hostname check included.
        get({ host: '127.0.0.1', port, ca: cert }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toBe('ok');
      server.close();
    },
  );
});

describe('DER INTEGER encoding', () => {
  it('writes the one minimal form: no redundant leading zero, a zero before a set top bit', () => {
    const hex = (bytes: number[]) => derInteger(Buffer.from(bytes)).toString('hex');
    expect(hex([2])).toBe('020102');
    expect(hex([0])).toBe('020100');
    expect(hex([0, 0, 0])).toBe('020100');
    expect(hex([0x80])).toBe('02020080');
    expect(hex([0, 0x80])).toBe('02020080');
    expect(hex([0, 0, 0x7f, 1])).toBe('02027f01'); // the case that broke 1 certificate in 256
    expect(hex([0, 0, 0x80, 1])).toBe('0203008001');
  });

  it('every node:crypto certificate parses (1,000 generated; a 1-in-256 fault shows)', () => {
    for (let i = 0; i < 1000; i++) {
      const { cert } = selfSignedPair('node:crypto') as Pair;
      expect(() => new X509Certificate(cert)).not.toThrow();
    }
  });
});
