/** Close codes of RFC 6455 §7.4.1 and the IANA registry (§11.7). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: never on the wire. */
  NoStatusReceived: 1005,
  /** Reserved: never on the wire; the connection closed without a close frame. */
  AbnormalClosure: 1006,
  InvalidPayloadData: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Reserved: never on the wire; the TLS handshake failed. */
  TlsHandshake: 1015,
} as const;

/** A close code from {@link CloseCode}. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

const names: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status received',
  1006: 'abnormal closure',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
  1015: 'TLS handshake',
};

/** A human-readable name for a close code; ranges 3000–3999 and 4000–4999 are named too. */
export function closeCodeName(code: number): string {
  const name = names[code];
  if (name !== undefined) return name;
  if (code >= 3000 && code <= 3999) return 'registered (3000-3999)';
  if (code >= 4000 && code <= 4999) return 'private use (4000-4999)';
  return 'invalid';
}

/**
 * Whether `code` may appear in a close frame on the wire (sent or received): 1000–1003,
 * 1007–1014 and 3000–4999. 1004, 1005, 1006 and 1015 are reserved and never sent.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}
