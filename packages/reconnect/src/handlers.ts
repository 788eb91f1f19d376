/**
 * The WHATWG event handler attributes (`onopen`, `onmessage`, `onerror`, `onclose`) over
 * `EventTarget`: setting one replaces the previous handler's listener; `null` removes it.
 * Where the runtime's own `EventTarget` already calls an `on<type>` property when it dispatches
 * (workerd does, for any object), the attribute only stores the handler, so it runs once.
 */

type HandlerName = 'open' | 'message' | 'error' | 'close';

/**
 * Whether this runtime's `EventTarget.dispatchEvent` itself calls the target's `on<type>`
 * property (workerd, the Workers runtime, does; browsers, Node, Bun and Deno do not). Probed
 * once: a listener added as well would run every handler twice there.
 */
const nativeHandlerProperties: boolean = (() => {
  let called = false;
  const probe = new EventTarget() as EventTarget & { onstrataprobe?: () => void };
  probe.onstrataprobe = () => {
    called = true;
  };
  probe.dispatchEvent(new Event('strataprobe'));
  return called;
})();

/** An `on*` attribute's value. */
export type EventHandler = ((event: Event) => unknown) | null;

/** `EventTarget` with the four WebSocket handler attributes. */
export class WebSocketEventTarget extends EventTarget {
  readonly #handlers = new Map<
    HandlerName,
    { value: EventHandler; listener: (e: Event) => void }
  >();

  #getHandler(name: HandlerName): EventHandler {
    return this.#handlers.get(name)?.value ?? null;
  }

  #setHandler(name: HandlerName, value: EventHandler): void {
    const previous = this.#handlers.get(name);
    if (previous !== undefined) {
      this.removeEventListener(name, previous.listener);
      this.#handlers.delete(name);
    }
    if (typeof value !== 'function') return;
    const listener = (event: Event): void => {
      value.call(this, event);
    };
    this.#handlers.set(name, { value, listener });
    if (!nativeHandlerProperties) this.addEventListener(name, listener);
  }

  /** The `open` handler attribute. */
  get onopen(): EventHandler {
    return this.#getHandler('open');
  }
  set onopen(value: EventHandler) {
    this.#setHandler('open', value);
  }
  /** The `message` handler attribute. */
  get onmessage(): EventHandler {
    return this.#getHandler('message');
  }
  set onmessage(value: EventHandler) {
    this.#setHandler('message', value);
  }
  /** The `error` handler attribute. */
  get onerror(): EventHandler {
    return this.#getHandler('error');
  }
  set onerror(value: EventHandler) {
    this.#setHandler('error', value);
  }
  /** The `close` handler attribute. */
  get onclose(): EventHandler {
    return this.#getHandler('close');
  }
  set onclose(value: EventHandler) {
    this.#setHandler('close', value);
  }
}
