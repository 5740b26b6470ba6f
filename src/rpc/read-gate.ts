/**
 * Read-side flow control of one connection: the socket is read only while no
 * stream holds it paused.
 *
 * libvirt's protocol has no receive window: the daemon writes a stream's next
 * packet as soon as the previous one left its socket buffer
 * (`daemonStreamHandleRead` in remote_daemon_stream.c). libvirt's C client
 * throttles it by reading the socket only while a caller waits in
 * `virStreamRecv`. Here a stream whose unread data reaches its high-water mark
 * holds the gate: the socket is paused, the kernel buffers fill, and TCP
 * backpressure stops the daemon. What was read before the pause (at most one
 * socket read, plus the frame being assembled) is still dispatched.
 *
 * The socket is shared, so replies, events and other streams wait too while
 * the gate is held; writing goes on (keepalive, see keepalive.ts).
 */
import type { ByteChannel } from './byte-channel.js';

/** Who may hold the gate: any key (a stream's serial). */
export class ReadGate {
  private readonly holders = new Set<unknown>();
  private pauses = 0;
  private closed = false;

  constructor(
    private readonly socket: ByteChannel,
    private readonly onChange: (paused: boolean) => void,
  ) {}

  /** True while the socket is not being read. */
  get paused(): boolean {
    return this.holders.size > 0;
  }

  /** How many times reading was paused so far. */
  get pauseCount(): number {
    return this.pauses;
  }

  /** `holder` asks for reading to stop (true) or withdraws its request (false). */
  set(holder: unknown, pause: boolean): void {
    if (this.closed) return;
    if (pause) {
      if (this.holders.has(holder)) return;
      this.holders.add(holder);
      if (this.holders.size === 1) {
        this.pauses++;
        this.socket.pause();
        this.onChange(true);
      }
    } else if (this.holders.delete(holder) && this.holders.size === 0) {
      this.onChange(false);
      this.socket.resume();
    }
  }

  /** The connection ended: forget every holder (the socket is going away). */
  close(): void {
    this.closed = true;
    this.holders.clear();
  }
}
