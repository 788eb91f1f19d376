/**
 * Shared constants of the `ws` API surface (ready states, defaults `ws` documents). The Node
 * host hooks (native UTF-8 validation, SHA-1, bufferutil masking, the Buffer allocator) are
 * `@strata-ws/node-host`'s, shared with the server and the client.
 */

/** `readyState` names, indexed by value, as `ws` prints them in its errors. */
export const READY_STATE_NAMES: readonly string[] = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** `ws`'s default `maxPayload`: 100 MiB (Strata's servers default to 16 MiB; see the README). */
export const WS_DEFAULT_MAX_PAYLOAD: number = 100 * 1024 * 1024;

/** `ws`'s close timeout: how long a closing socket may take before it is destroyed. */
export const CLOSE_TIMEOUT_MS = 30_000;

/** An empty Buffer, shared (the `reason` of a close without one). */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** The binary types `ws` accepts. */
export const BINARY_TYPES: readonly string[] = ['nodebuffer', 'arraybuffer', 'fragments'];
