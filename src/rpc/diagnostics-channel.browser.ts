/**
 * The diagnostics channels the engine publishes on: the browser's build (replaces
 * `diagnostics-channel.ts` there; same exports). A page has no `node:diagnostics_channel`:
 * this is a registry of named channels with the same publishing rules (synchronous, nothing
 * published while nobody listens, a subscriber's exception reported as an uncaught error
 * outside the client).
 *
 * @module
 */
import type { Twin } from '../util/twin.js';
import type * as NodeTwin from './diagnostics-channel.js';
import type * as ThisTwin from './diagnostics-channel.browser.js';
import type { DiagnosticChannel } from './diagnostics-channel.js';

export type { DiagnosticChannel } from './diagnostics-channel.js';

type Listener = (message: unknown, name: string) => void;

class Channel implements DiagnosticChannel {
  readonly listeners = new Set<Listener>();
  constructor(readonly name: string) {}
  get hasSubscribers(): boolean {
    return this.listeners.size > 0;
  }
  publish(message: unknown): void {
    for (const l of [...this.listeners]) {
      try {
        l(message, this.name);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

const channels = new Map<string, Channel>();

/** The channel named `name` (the same object for the same name). */
export function channel(name: string): DiagnosticChannel {
  let c = channels.get(name);
  if (!c) channels.set(name, (c = new Channel(name)));
  return c;
}

/**
 * Calls `listener` with every message published on the channel `name` until the returned
 * function is called. What it throws is reported as an uncaught error, never inside the client.
 */
export function subscribeDiagnostics(name: string, listener: (message: unknown, name: string) => void): () => void {
  const c = channel(name) as Channel;
  c.listeners.add(listener);
  return () => void c.listeners.delete(listener);
}

/** The compiler holds this module to diagnostics-channel.ts's exports (see util/twin.ts). */
type _Checked = Twin<typeof NodeTwin, typeof ThisTwin>;
