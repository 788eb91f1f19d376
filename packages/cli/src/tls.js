// TLS material for the serving commands: a key and certificate read from files, or a
// throwaway self-signed pair for localhost (`openssl` when it is installed, otherwise
// node:crypto, which can make keys and signatures but not certificates: the X.509 structure
// is written here in DER, RFC 5280 §4.1).
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Names the certificate is valid for. */
const DNS_NAMES = ['localhost'];
const IP_ADDRESSES = [
  [127, 0, 0, 1],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
];

/**
 * Reads a key and certificate (PEM) from files.
 * @param {string} certFile
 * @param {string} keyFile
 * @returns {{ cert: Buffer, key: Buffer, source: string }}
 */
export function readTlsFiles(certFile, keyFile) {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  // Fail early with a clear message rather than at the first TLS handshake.
  createPrivateKey(key);
  return { cert, key, source: `${certFile} + ${keyFile}` };
}

/** Whether the `openssl` command is available. */
export function hasOpenssl() {
  const result = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  return result.status === 0;
}

/**
 * A self-signed certificate for localhost, 127.0.0.1 and ::1, valid for 7 days.
 * @param {'openssl' | 'node:crypto' | undefined} [prefer] force one generator (tests)
 * @returns {{ cert: Buffer, key: Buffer, source: string }}
 */
export function selfSignedPair(prefer) {
  const useOpenssl = prefer === 'openssl' || (prefer === undefined && hasOpenssl());
  return useOpenssl ? withOpenssl() : withNodeCrypto();
}

function withOpenssl() {
  const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const san = [...DNS_NAMES.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
    const result = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '7',
        '-subj',
        '/CN=localhost',
        '-addext',
        `subjectAltName=${san}`,
        '-addext',
        'basicConstraints=critical,CA:FALSE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (result.status !== 0) {
      throw new Error(`openssl failed: ${String(result.stderr).trim().split('\n').at(-1)}`);
    }
    return {
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      source: 'self-signed (generated with openssl)',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ----- DER (X.690) encoding, just what a certificate needs -----

function length(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag, ...content) {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}
const sequence = (...items) => tlv(0x30, ...items);
const set = (...items) => tlv(0x31, ...items);
function oid(text) {
  const arcs = text.split('.').map(Number);
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const groups = [];
    let v = arc;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 0x80;
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}
/** A non-negative INTEGER in its one valid DER form (X.690 §8.3.2): no redundant leading 0. */
export function derInteger(bytes) {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && !(bytes[start + 1] & 0x80)) start++;
  const minimal = bytes.subarray(start);
  // Positive: a leading 0 when the top bit is set.
  return tlv(0x02, minimal[0] & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}
function utcTime(date) {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}
const explicit = (n, content) => tlv(0xa0 + n, content);

function withNodeCrypto() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from('localhost')))));
  const now = Date.now();
  const validity = sequence(
    utcTime(new Date(now - 60_000)),
    utcTime(new Date(now + 7 * 86_400_000)),
  );
  const subjectAltName = sequence(
    ...DNS_NAMES.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))),
    ...IP_ADDRESSES.map((ip) => tlv(0x87, Buffer.from(ip))),
  );
  const extensions = explicit(
    3,
    sequence(
      sequence(oid('2.5.29.17'), tlv(0x04, subjectAltName)),
      // basicConstraints: not a CA.
      sequence(oid('2.5.29.19'), tlv(0x04, sequence())),
    ),
  );
  // RFC 5280 §4.1.2.2: positive, at most 20 bytes; the first byte is kept non-zero so the
  // serial always has 16 bytes.
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const tbs = sequence(
    explicit(0, derInteger(Buffer.from([2]))), // v3
    derInteger(serial),
    ecdsaWithSha256,
    name,
    validity,
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  const cert = Buffer.from(
    `-----BEGIN CERTIFICATE-----\n${base64.trim()}\n-----END CERTIFICATE-----\n`,
  );
  const key = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { cert, key, source: 'self-signed (generated with node:crypto)' };
}
