/**
 * The diagnostics channels the engine publishes on: Node's `node:diagnostics_channel`. The
 * browser build replaces this module with `diagnostics-channel.browser.ts` (same exports, a
 * small channel registry of its own).
 *
 * @module
 */
import { channel as nodeChannel, subscribe, unsubscribe } from 'node:diagnostics_channel';

/** The publishing side of one named channel. */
export interface DiagnosticChannel {
  /** True while someone listens (publish only then). */
  readonly hasSubscribers: boolean;
  /** Hands `message` to every subscriber, synchronously. */
  publish(message: unknown): void;
}

/** The channel named `name` (the same object for the same name). */
export function channel(name: string): DiagnosticChannel {
  return nodeChannel(name);
}

/**
 * Calls `listener` with every message published on the channel `name` until the returned
 * function is called. What it throws is reported as an uncaught exception, never inside the client.
 */
export function subscribeDiagnostics(name: string, listener: (message: unknown, name: string) => void): () => void {
  const l = listener as (message: unknown, name: string | symbol) => void;
  subscribe(name, l);
  return () => void unsubscribe(name, l);
}
