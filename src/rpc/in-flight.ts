/**
 * The client-side limit on calls that may block, in flight on one connection.
 *
 * libvirtd works on at most `max_client_requests` messages of one client at once (default 5,
 * libvirtd.conf): it reads the client's socket only while it holds fewer than that many of its
 * messages (`virNetServerClientDispatchRead` allocates the next receive buffer only while
 * `nrequests < nrequests_max`; a reply written out completely frees one,
 * `virNetServerClientDispatchWrite`). Keepalive packets are read through the same buffer, so
 * while five slow calls (a QEMU monitor command on a stuck guest, a migration, a block job wait)
 * hold every slot, the daemon no longer sees our PONGs and closes the connection after its
 * keepalive gives up (5 s x (5 + 1) = 30 s by default), failing every call on it. Measured
 * against libvirtd 9.0.0: see README, "Calls in flight".
 *
 * Which calls can hold a slot for long: libvirtd hands each call to a worker thread
 * (`virNetServerDispatchNewMessage`), and the procedures remote_protocol.x marks
 * `@priority: high` go to its priority workers as well, because they "do not block" (no domain
 * job, no monitor, no waiting on another call: lookups, lists, getters, event registration).
 * Such a call frees its slot as soon as it has run, and the daemon reads the next message of
 * the client, keepalive or call, at once; it resets its keepalive on any message it reads
 * (`virKeepAliveCheckMessage`). So only the calls that may block (every other procedure, the
 * daemon's low priority) count against the limit: with at most `max_client_requests - 1` of
 * them unanswered, the daemon always keeps one slot turning, and keepalive always gets through,
 * while calls that do not block go out at once, however many there are.
 *
 * Calls that may block above the limit wait here, in call order, and are sent as their replies
 * come back. Keepalive and stream packets are never held.
 *
 * @module
 */

/** libvirtd's default `max_client_requests`. */
export const DAEMON_MAX_CLIENT_REQUESTS = 5;

/**
 * Default client-side limit on calls that may block: one less than the daemon's default, so a
 * slot is always free for keepalive and for calls that do not block.
 */
export const DEFAULT_MAX_IN_FLIGHT = DAEMON_MAX_CLIENT_REQUESTS - 1;

/** What the limit needs of a call. */
export interface LimitedCall {
  /** Settled or given up: a waiting call in that state is skipped. */
  readonly cancelled: boolean;
  /**
   * The call may block in the daemon (its procedure is not `@priority: high`): only such calls
   * count against the limit; the others are sent at once.
   */
  readonly mayBlock: boolean;
  /** Set when the call took a slot (it was sent and may block); the slot is freed by its reply. */
  slot: boolean;
}

/** Counts the calls that may block sent and not answered, and holds those above the limit. */
export class InFlightLimit<C extends LimitedCall> {
  /** Calls holding a slot (sent, may block, no reply yet; abandoned ones included, until their late reply). */
  inFlight = 0;
  /** Calls that had to wait for a slot so far. */
  queuedTotal = 0;
  private readonly waiting: Array<{ frame: Uint8Array; call: C }> = [];
  private head = 0;

  /**
   * @param max The limit on calls that may block (`Infinity`: none).
   * @param send Writes a call's packet.
   */
  constructor(
    readonly max: number,
    private readonly send: (frame: Uint8Array, call: C) => void,
  ) {}

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Sends `call` now if it does not block or a slot is free, else queues it. */
  submit(frame: Uint8Array, call: C): void {
    if (!call.mayBlock) {
      this.send(frame, call);
      return;
    }
    if (this.inFlight < this.max && this.head === this.waiting.length) {
      this.inFlight++;
      call.slot = true;
      this.send(frame, call);
      return;
    }
    this.queuedTotal++;
    this.waiting.push({ frame, call });
  }

  /** A slot was freed (a reply came, or a call holding one was never written); sends what waits. */
  release(): void {
    this.inFlight--;
    while (this.inFlight < this.max && this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      this.waiting[this.head++] = undefined as never;
      if (next.call.cancelled) continue;
      this.inFlight++;
      next.call.slot = true;
      this.send(next.frame, next.call);
    }
    if (this.head !== 0 && this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
  }

  /** Forgets everything (the connection ended; its calls were failed by the client). */
  clear(): void {
    this.waiting.length = 0;
    this.head = 0;
    this.inFlight = 0;
  }
}
