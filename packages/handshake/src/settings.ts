/**
 * RFC 8441 §3: a server that accepts extended CONNECT says so with SETTINGS_ENABLE_CONNECT_PROTOCOL
 * (0x8) = 1; a client must not send `:protocol` before it has received that setting.
 */

/** The HTTP/2 setting identifier of SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3). */
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8;

/**
 * A peer's HTTP/2 settings as a host gives them: node:http2's `remoteSettings` object
 * (`enableConnectProtocol`), or a map / record keyed by numeric setting identifier.
 */
export type PeerSettings =
  | { readonly enableConnectProtocol?: boolean | number | undefined }
  | ReadonlyMap<number, number>
  | Readonly<Record<number, number | undefined>>;

/**
 * True when the peer's SETTINGS allow RFC 8441 extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL = 1).
 * Any other value, or its absence, means a client must not open WebSockets over this connection.
 */
export function allowsExtendedConnect(settings: PeerSettings | null | undefined): boolean {
  if (settings === null || settings === undefined) return false;
  if (settings instanceof Map) return settings.get(SETTINGS_ENABLE_CONNECT_PROTOCOL) === 1;
  const named = (settings as { enableConnectProtocol?: boolean | number }).enableConnectProtocol;
  if (named !== undefined) return named === true || named === 1;
  return (
    (settings as Readonly<Record<number, number | undefined>>)[SETTINGS_ENABLE_CONNECT_PROTOCOL] ===
    1
  );
}
