/** Opening handshake vectors (RFC 6455 §1.3, §4.1, §4.2.2). */

/** The GUID appended to `Sec-WebSocket-Key` before hashing (RFC 6455 §1.3). */
export const WEBSOCKET_GUID: string = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A key and the `Sec-WebSocket-Accept` value it gives. */
export interface AcceptVector {
  readonly name: string;
  readonly key: string;
  readonly accept: string;
}

/** The RFC example plus keys whose accept values were computed with SHA-1 independently. */
export const ACCEPT_VECTORS: readonly AcceptVector[] = [
  {
    name: 'RFC 6455 §1.3 sample nonce',
    key: 'dGhlIHNhbXBsZSBub25jZQ==',
    accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  },
  {
    name: 'all-zero 16-byte nonce',
    key: 'AAAAAAAAAAAAAAAAAAAAAA==',
    accept: 'ICX+Yqv66kxgM0FcWaLWlFLwTAI=',
  },
  {
    name: 'nonce 000102…0f',
    key: 'AAECAwQFBgcICQoLDA0ODw==',
    accept: 'Bz3qJYTGdOe8gUSpLosEdiLKDrk=',
  },
];

/** The sample handshake of RFC 6455 §1.2 / §1.3 (header names lower-cased). */
export const RFC6455_HANDSHAKE: {
  readonly key: string;
  readonly accept: string;
  readonly requestLine: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly statusLine: string;
  readonly responseHeaders: Readonly<Record<string, string>>;
} = {
  key: 'dGhlIHNhbXBsZSBub25jZQ==',
  accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  requestLine: 'GET /chat HTTP/1.1',
  requestHeaders: {
    host: 'server.example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    origin: 'http://example.com',
    'sec-websocket-protocol': 'chat, superchat',
    'sec-websocket-version': '13',
  },
  statusLine: 'HTTP/1.1 101 Switching Protocols',
  responseHeaders: {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    'sec-websocket-protocol': 'chat',
  },
};
