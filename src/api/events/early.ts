/**
 * Events held while event registrations are in flight.
 *
 * libvirt's daemon registers a callback before it sends the REGISTER reply that tells the
 * client its callback ID, so events for the new ID can arrive first
 * (remoteDispatchConnectDomainEventCallbackRegisterAny adds the callback, then returns). They
 * are held here, one bucket per event and callback ID, until the registration's reply names
 * its ID: that bucket is delivered, and once no registration is in flight any more the other
 * buckets are dropped as events of unknown callbacks. Events of other callback IDs (another
 * client's registration on the same connection, one already deregistered) fill only their own
 * bucket, so they can never crowd out a new registration's first events. Every event dropped is
 * counted through `drop`.
 *
 * @module
 */

/** Events kept per bucket (one event kind and callback ID) while registrations are in flight. */
export const EARLY_PER_BUCKET = 1024;

/** Distinct buckets kept at once; events of further callback IDs are dropped at once. */
export const EARLY_BUCKETS = 256;

interface Bucket<R> {
  readonly procedure: number;
  readonly callbackId: number | null;
  readonly items: Array<(reg: R) => void>;
  overflowed: number;
}

/** See the module documentation. `R` is what a held event is delivered to (a registration). */
export class EarlyEvents<R> {
  #inFlight = 0;
  readonly #buckets = new Map<string, Bucket<R>>();

  /** @param drop Counts `n` dropped events of `procedure` with `callbackId`. */
  constructor(private readonly drop: (cause: 'unknown-callback' | 'overflow', procedure: number, callbackId: number | null, n: number) => void) {}

  /** Registrations in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Events held now. */
  get held(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.items.length;
    return n;
  }

  /** A registration call starts. */
  begin(): void {
    this.#inFlight++;
  }

  /** Holds an event (of event kind `eventKey`) that no active registration claimed. */
  hold(eventKey: string, procedure: number, callbackId: number | null, deliver: (reg: R) => void): void {
    const key = `${eventKey}#${callbackId}`;
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= EARLY_BUCKETS) {
        this.drop('unknown-callback', procedure, callbackId, 1);
        return;
      }
      this.#buckets.set(key, (b = { procedure, callbackId, items: [], overflowed: 0 }));
    }
    if (b.items.length < EARLY_PER_BUCKET) b.items.push(deliver);
    else b.overflowed++;
  }

  /**
   * A registration call ended: with its callback ID `id` (delivers that bucket to `reg`), or
   * failed (`id` undefined). When it was the last in flight, drops what is still held.
   */
  end(eventKey: string, id: number | null | undefined, reg?: R): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (id !== undefined && reg !== undefined) {
      const key = `${eventKey}#${id}`;
      const b = this.#buckets.get(key);
      if (b) {
        this.#buckets.delete(key);
        for (const deliver of b.items) deliver(reg);
        if (b.overflowed > 0) this.drop('overflow', b.procedure, b.callbackId, b.overflowed);
      }
    }
    if (this.#inFlight > 0) return;
    for (const b of this.#buckets.values()) this.drop('unknown-callback', b.procedure, b.callbackId, b.items.length + b.overflowed);
    this.#buckets.clear();
  }
}
