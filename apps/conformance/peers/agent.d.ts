/** Types of `agent.js` (plain JavaScript, also loaded by Bun, Node's built-in client and Chromium). */
export declare function runAgent(base: string, WebSocketImpl: unknown): Promise<void>;
/** The interop exchange's result. */
export interface ExchangeResult {
  ok: boolean;
  problems: string[];
  extensions: string;
  close: number;
}
/** Sends the exchange messages to an echo server and checks every echo. */
export declare function exchange(url: string, WebSocketImpl: unknown): Promise<ExchangeResult>;
