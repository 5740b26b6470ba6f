/**
 * The client-side limit on calls in flight on one connection.
 *
 * libvirtd works on at most `max_client_requests` messages of one client at once (default 5,
 * libvirtd.conf): with that many of the client's calls unanswered it stops reading the
 * client's socket (virNetServerClientDispatchRead allocates the next receive buffer only while
 * `nrequests < nrequests_max`). Keepalive packets are read through the same buffer, so while
 * five slow calls (a QEMU monitor command on a stuck guest, a migration, a block job wait)
 * hold every slot, the daemon no longer sees our PONGs and closes the connection after its
 * keepalive gives up (5 s x (5 + 1) = 30 s by default), failing every call on it. Measured
 * against libvirtd 9.0.0: see README, "Calls in flight".
 *
 * Keeping at most `max_client_requests - 1` calls unanswered leaves the daemon one slot to read
 * with, so keepalive always gets through; further calls wait here, in call order, and are sent as
 * replies come back. Keepalive and stream packets are never held.
 *
 * @module
 */
import type { Buffer } from 'node:buffer';

/** libvirtd's default `max_client_requests`. */
export const DAEMON_MAX_CLIENT_REQUESTS = 5;

/** Default client-side limit: one less than the daemon's default, so a slot is always free for keepalive. */
export const DEFAULT_MAX_IN_FLIGHT = DAEMON_MAX_CLIENT_REQUESTS - 1;

/** What the limit needs of a call. */
export interface LimitedCall {
  /** Settled or given up: a waiting call in that state is skipped. */
  readonly cancelled: boolean;
  /** Set when the call took a slot (it was sent); the slot is freed by its reply. */
  slot: boolean;
}

/** Counts the calls sent and not answered, and holds the calls above the limit. */
export class InFlightLimit<C extends LimitedCall> {
  /** Calls holding a slot (sent, no reply yet; abandoned ones included, until their late reply). */
  inFlight = 0;
  /** Calls that had to wait for a slot so far. */
  queuedTotal = 0;
  private readonly waiting: Array<{ frame: Buffer; call: C }> = [];
  private head = 0;

  /**
   * @param max The limit (`Infinity`: none).
   * @param send Writes a call's packet.
   */
  constructor(
    readonly max: number,
    private readonly send: (frame: Buffer, call: C) => void,
  ) {}

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Sends `call` now if a slot is free, else queues it. */
  submit(frame: Buffer, call: C): void {
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
