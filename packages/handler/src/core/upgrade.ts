/**
 * The `upgrade` hook's answer, normalised once for every adapter: accept (with a context, the
 * agreed subprotocol and extra 101 headers) or refuse (with a `Response` whose status is an
 * error status). A `Response` returned or thrown refuses; anything else thrown refuses with
 * 500 and goes to `onError`. Portable.
 */
import type { Hooks, UpgradeAccept } from '../types.js';

/** What an adapter does with an upgrade request. */
export type UpgradeOutcome<Context> =
  | {
      readonly kind: 'accept';
      /** The peer's context (`{}` when the hook attached none). */
      readonly context: Context;
      /** The subprotocol to agree, one the client offered; `''` for none. */
      readonly protocol: string;
      /** Extra headers for the 101 (never a `sec-websocket-*` one: the adapter writes those). */
      readonly headers: Headers;
    }
  | {
      readonly kind: 'refuse';
      /** The answer to send instead of the 101; its status is 400-599. */
      readonly response: Response;
    };

/** Options of {@link runUpgrade}. */
export interface RunUpgradeOptions {
  /** The adapter's `protocols` option: server preference, used when the hook picks none. */
  readonly protocols?: readonly string[] | undefined;
  /** Errors with no peer to go to (default `console.error`). */
  readonly onError?: ((error: Error, request: Request) => void) | undefined;
}

/**
 * The subprotocols a request offers (`Sec-WebSocket-Protocol`), in the client's order, without
 * repeats. For runtimes that validated the handshake themselves (Bun, Deno, Workers); the
 * `strata` engine and the Node adapter take the list the handshake package already parsed.
 */
export function offeredProtocols(request: Request): string[] {
  const header = request.headers.get('sec-websocket-protocol');
  if (header === null) return [];
  const list: string[] = [];
  for (const part of header.split(',')) {
    const token = part.trim();
    if (token !== '' && !list.includes(token)) list.push(token);
  }
  return list;
}

function report(options: RunUpgradeOptions, error: unknown, request: Request): void {
  const err = error instanceof Error ? error : new Error(String(error));
  try {
    if (options.onError !== undefined) options.onError(err, request);
    else console.error('@strata-ws/handler: upgrade failed:', err);
  } catch {
    // An onError that throws must not turn a refusal into a crash.
  }
}

function internalError(): Response {
  return new Response('Internal Server Error', {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/** A refusal with an error status: a `Response` with a status below 400 becomes 403, keeping its headers and body. */
export function asRefusal(response: Response): Response {
  if (response.status >= 400 && response.status <= 599) return response;
  return new Response(response.body, { status: 403, headers: response.headers });
}

/**
 * Runs the `upgrade` hook (if any) for `request` and normalises its answer.
 *
 * @param offered the subprotocols the client offered (see {@link offeredProtocols})
 */
export async function runUpgrade<Context>(
  hooks: Hooks<Context>,
  request: Request,
  offered: readonly string[],
  options: RunUpgradeOptions = {},
): Promise<UpgradeOutcome<Context>> {
  let answer: UpgradeAccept<Context> | Response | undefined;
  try {
    answer = (await hooks.upgrade?.(request)) ?? undefined;
  } catch (error) {
    if (error instanceof Response) return { kind: 'refuse', response: asRefusal(error) };
    report(options, error, request);
    return { kind: 'refuse', response: internalError() };
  }
  if (answer instanceof Response) return { kind: 'refuse', response: asRefusal(answer) };
  if (answer !== undefined && (typeof answer !== 'object' || answer === null)) {
    report(
      options,
      new TypeError(
        `upgrade must return a Response, { context?, protocol?, headers? } or nothing, got ${typeof answer}`,
      ),
      request,
    );
    return { kind: 'refuse', response: internalError() };
  }

  let headers: Headers;
  try {
    headers = new Headers(answer?.headers as ConstructorParameters<typeof Headers>[0]);
  } catch (error) {
    report(options, error, request);
    return { kind: 'refuse', response: internalError() };
  }
  // crossws users set the subprotocol as a header; read it as the protocol choice.
  let protocol = answer?.protocol;
  const headerProtocol = headers.get('sec-websocket-protocol');
  if (protocol === undefined && headerProtocol !== null) protocol = headerProtocol.trim();
  for (const name of [...headers.keys()]) {
    if (name.startsWith('sec-websocket-')) headers.delete(name);
  }

  if (protocol === undefined) {
    protocol = options.protocols?.find((p) => offered.includes(p)) ?? '';
  } else if (protocol !== '' && !offered.includes(protocol)) {
    report(
      options,
      new TypeError(
        `upgrade chose the subprotocol ${JSON.stringify(protocol)}, which the client did not offer (offered: ${offered.join(', ') || 'none'})`,
      ),
      request,
    );
    return { kind: 'refuse', response: internalError() };
  }
  const context = (answer?.context ?? {}) as Context;
  return { kind: 'accept', context, protocol, headers };
}
