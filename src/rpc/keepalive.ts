/**
 * libvirt's keepalive protocol (`virkeepaliveprotocol.x`), client side.
 *
 * Behaviour follows upstream `src/rpc/virkeepalive.c`:
 * - every packet received (of any program) counts as a sign of life: it
 *   resets the countdown and restarts the interval;
 * - a PING (program `KEEPALIVE_PROGRAM`, version 1, type MESSAGE, proc 1) is
 *   answered with a PONG; PONG and unknown keepalive procedures are swallowed;
 * - when pinging is enabled and `interval` seconds pass with nothing received,
 *   a PING is sent and the countdown drops by one; when it is already zero the
 *   peer is declared dead. So a silent peer gets `count` PINGs and is dead
 *   `interval × (count + 1)` seconds after the last packet from it.
 *
 * Reading paused (stream flow control, see `RpcClient`): the connection then
 * does not read its socket, so the peer's silence is ours and is not counted
 * against it. Instead a PING goes out every {@link PAUSED_PING_MS} (or half the
 * interval when that is shorter), also when this side's pinging is off but the
 * peer speaks keepalive: the daemon's own keepalive (virkeepalive.c on the
 * server, `keepalive_interval` 5 s, `keepalive_count` 5) closes a client only
 * after `interval` seconds with no packet *from* it, and it reads our socket
 * even while its replies to us are stuck, so these PINGs keep it from ever
 * counting down. Its PONGs wait in the socket until reading resumes.
 */
import { KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION, KeepaliveProcedure } from '../procedures/keepalive.gen.js';
import { VirNetMessageType } from '../procedures/virnet.gen.js';
import type { FrameHeader } from './frame.js';

/** Default seconds between PINGs, as libvirt's client (`keepalive_interval` in libvirt.conf). */
export const KEEPALIVE_DEFAULT_INTERVAL = 5;

/** Default number of unanswered PINGs before the peer is dead (`keepalive_count`). */
export const KEEPALIVE_DEFAULT_COUNT = 5;

/** Milliseconds between the PINGs sent while reading is paused (below any sane daemon interval). */
export const PAUSED_PING_MS = 2000;

/** Timers and time, replaceable in tests. */
export interface KeepaliveClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Schedules `fn` after `ms` milliseconds; the handle goes to {@link clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by {@link setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` and unref'd Node timers (they never keep the process alive);
 * in a browser a timer is a number, with nothing to unref.
 */
export const systemClock: KeepaliveClock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    if (typeof t === 'object') t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** How to ping. */
export interface KeepaliveOptions {
  /** Seconds of silence before a PING; fractions are allowed. Default 5; 0 or less disables pinging. */
  readonly interval?: number;
  /** Unanswered PINGs before the peer is declared dead. Default 5. */
  readonly count?: number;
  /** Clock to use (tests). Default {@link systemClock}. */
  readonly clock?: KeepaliveClock;
}

/** What the keepalive needs from the connection. */
export interface KeepaliveHooks {
  /** Sends a keepalive MESSAGE with the given procedure (PING or PONG). */
  send(proc: number): void;
  /** The peer is dead: close the connection. `idleMs` is the silence that killed it. */
  dead(idleMs: number, pings: number): void;
}

/** True when `header` is a keepalive packet (program, version and type all match). */
export function isKeepalive(header: FrameHeader): boolean {
  return header.prog === KEEPALIVE_PROGRAM && header.vers === KEEPALIVE_PROTOCOL_VERSION && header.type === VirNetMessageType.VIR_NET_MESSAGE;
}

/** The keepalive state of one connection. */
export class Keepalive {
  private readonly hooks: KeepaliveHooks;
  private clock: KeepaliveClock;
  private intervalMs = 0;
  private count = KEEPALIVE_DEFAULT_COUNT;
  private countToDeath = KEEPALIVE_DEFAULT_COUNT;
  private lastReceived: number;
  private intervalStart: number;
  private timer: unknown = null;
  private stopped = false;
  /** The connection is not reading its socket (flow control). */
  private paused = false;
  private pausedTimer: unknown = null;
  /** The peer speaks keepalive (so it may be pinging us and counting): ping while paused. */
  private peerSpeaks = false;

  constructor(hooks: KeepaliveHooks, clock: KeepaliveClock = systemClock) {
    this.hooks = hooks;
    this.clock = clock;
    this.lastReceived = this.intervalStart = clock.now();
  }

  /** True while PINGs are being sent. */
  get active(): boolean {
    return this.timer !== null;
  }

  /**
   * Starts sending PINGs. A no-op if already started, or if the interval is 0
   * or less. Like libvirt, the first PING comes `interval` after the last
   * packet received (at once if that is longer ago).
   */
  start(opts: KeepaliveOptions = {}): void {
    if (this.stopped || this.timer !== null) return;
    const interval = opts.interval ?? KEEPALIVE_DEFAULT_INTERVAL;
    if (!(interval > 0)) return;
    if (opts.clock) this.clock = opts.clock;
    this.intervalMs = interval * 1000;
    this.count = Math.max(0, Math.floor(opts.count ?? KEEPALIVE_DEFAULT_COUNT));
    this.countToDeath = this.count;
    const now = this.clock.now();
    const delay = Math.max(0, Math.min(this.intervalMs, this.intervalMs - (now - this.lastReceived)));
    this.intervalStart = now - (this.intervalMs - delay);
    this.schedule(delay);
    if (this.paused && this.pausedTimer === null) this.schedulePausedPing();
  }

  /** Stops sending PINGs (PINGs from the peer are still answered). */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops for good: nothing is sent any more. */
  dispose(): void {
    this.stop();
    this.stopPausedPings();
    this.stopped = true;
  }

  /**
   * Says the peer speaks the keepalive program (libvirt's daemon does once
   * asked, and then pings a silent client): PINGs are then sent while reading
   * is paused even if this side's pinging is off.
   */
  setPeerSpeaksKeepalive(speaks: boolean): void {
    this.peerSpeaks = speaks;
    if (this.paused && this.pausedTimer === null) this.schedulePausedPing();
  }

  /** True while reading is paused (see the module documentation). */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * The connection stopped (true) or resumed (false) reading its socket. While
   * paused the peer cannot be declared dead and PINGs keep the peer's keepalive
   * content; on resuming, the countdown starts afresh.
   */
  setPaused(paused: boolean): void {
    if (this.stopped || paused === this.paused) return;
    this.paused = paused;
    if (paused) {
      this.schedulePausedPing();
      return;
    }
    this.stopPausedPings();
    this.countToDeath = this.count;
    this.lastReceived = this.intervalStart = this.clock.now();
  }

  private pausedPingMs(): number {
    return this.timer !== null ? Math.min(PAUSED_PING_MS, this.intervalMs / 2) : PAUSED_PING_MS;
  }

  private schedulePausedPing(): void {
    if (!this.paused || this.stopped || !(this.peerSpeaks || this.timer !== null)) return;
    this.pausedTimer = this.clock.setTimeout(() => {
      this.pausedTimer = null;
      if (!this.paused || this.stopped) return;
      this.hooks.send(KeepaliveProcedure.KEEPALIVE_PROC_PING);
      this.schedulePausedPing();
    }, this.pausedPingMs());
  }

  private stopPausedPings(): void {
    if (this.pausedTimer !== null) this.clock.clearTimeout(this.pausedTimer);
    this.pausedTimer = null;
  }

  /**
   * Notes a packet received from the peer. Returns true when it was a
   * keepalive packet, which the caller must not process further.
   */
  received(header: FrameHeader): boolean {
    this.countToDeath = this.count;
    this.lastReceived = this.intervalStart = this.clock.now();
    // The timer is not moved here (that would cost a timer per packet): when
    // it fires it sees the fresh intervalStart and waits the rest.
    if (!isKeepalive(header)) return false;
    if (header.proc === KeepaliveProcedure.KEEPALIVE_PROC_PING && !this.stopped) {
      this.hooks.send(KeepaliveProcedure.KEEPALIVE_PROC_PONG);
    }
    return true;
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = null;
    if (this.stopped) return;
    const now = this.clock.now();
    if (this.paused) {
      // Our own silence: the paused pinger keeps the peer content meanwhile.
      this.intervalStart = now;
      this.schedule(this.intervalMs);
      return;
    }
    const elapsed = now - this.intervalStart;
    if (elapsed < this.intervalMs) {
      this.schedule(this.intervalMs - elapsed);
      return;
    }
    if (this.countToDeath === 0) {
      this.dispose();
      this.hooks.dead(now - this.lastReceived, this.count);
      return;
    }
    this.countToDeath--;
    this.intervalStart = now;
    this.schedule(this.intervalMs);
    this.hooks.send(KeepaliveProcedure.KEEPALIVE_PROC_PING);
  }
}
