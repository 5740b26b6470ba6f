/**
 * The options, hooks and counters of {@link RpcClient} (client.ts), apart so that users of the
 * types (the API layer, tests) do not read the engine to find them.
 *
 * @module
 */
import type { RpcClient } from './client.js';
import type { FrameHeader } from './frame.js';
import type { KeepaliveClock, KeepaliveOptions } from './keepalive.js';
import type { CallOptions } from './procedure.js';
import type { StreamChannel } from './stream-channel.js';

/**
 * Options of {@link RpcClient.call}: the `signal` and `timeout` every call
 * takes (an aborted or timed-out call rejects at once; its late reply is
 * dropped by serial), plus the stream channel of a stream-opening call.
 */
export interface RpcCallOptions extends CallOptions {
  /**
   * For a procedure that opens a stream: the channel from {@link RpcClient.openStream}.
   * The call is sent with the channel's serial, so the stream packets that follow
   * it reach the channel's sink.
   */
  readonly stream?: StreamChannel;
}

/** An asynchronous MESSAGE packet (an event) as delivered to {@link MessageListener}s. */
export interface IncomingMessage {
  /** Program number. */
  readonly program: number;
  /** Program version. */
  readonly version: number;
  /** Procedure number: which event this is. */
  readonly procedure: number;
  /** Serial from the header (the daemon sends 0 for events). */
  readonly serial: number;
  /** The XDR payload (the `_msg` struct), a copy the listener may keep. */
  readonly payload: Uint8Array;
}

/** Receives the MESSAGE packets of one program. Exceptions it throws are reported, never fatal. */
export type MessageListener = (message: IncomingMessage) => void;

/** Things worth knowing that are not errors of any call, for logging and tests. */
export type Diagnostic =
  /** A reply to a call that was aborted or timed out, dropped by serial. */
  | { readonly kind: 'late-reply'; readonly header: FrameHeader }
  /** A MESSAGE nobody listens to, or whose status is not OK (libvirt drops those too). */
  | { readonly kind: 'unhandled-message'; readonly header: FrameHeader }
  /** A stream packet for a serial with no open stream (libvirt drops those too). */
  | { readonly kind: 'unhandled-stream'; readonly header: FrameHeader }
  /** An event whose payload did not decode; it was dropped, as libvirt does. */
  | { readonly kind: 'bad-event'; readonly header: FrameHeader; readonly error: unknown }
  /** Bytes left over after a reply or event payload was decoded (libvirt ignores them too). */
  | { readonly kind: 'trailing-bytes'; readonly header: FrameHeader; readonly bytes: number }
  /** A message listener or stream sink threw. */
  | { readonly kind: 'listener-error'; readonly error: unknown };

/** Options of {@link RpcClient}. */
export interface RpcClientOptions {
  /**
   * Send keepalive PINGs from the start (PINGs from the daemon are always
   * answered). Default off: libvirt's client enables them only after asking
   * the daemon whether it supports the keepalive program; see {@link RpcClient.startKeepalive}.
   */
  readonly keepalive?: KeepaliveOptions | false;
  /** Clock for keepalive timers (tests). */
  readonly clock?: KeepaliveClock;
  /**
   * Receives {@link Diagnostic}s. Without it, only `listener-error`s are
   * reported, with `process.emitWarning`.
   */
  readonly onDiagnostic?: (diagnostic: Diagnostic) => void;
  /**
   * Calls that may block (procedures libvirt does not mark `@priority: high`) sent and not yet
   * answered at most; further such calls wait in the client, in order, and are sent as replies
   * come. Calls that do not block (`@priority: high`: lookups, lists, getters), keepalive and
   * stream packets never wait. Default: no limit here; `connect()` sets `DEFAULT_MAX_IN_FLIGHT`
   * (4: libvirtd's default `max_client_requests` less one, so the daemon always has a slot to
   * read keepalive with; see in-flight.ts).
   */
  readonly maxInFlight?: number;
  /** The URI this connection was opened with (secrets removed), for diagnostics channels. */
  readonly uri?: string;
}

/** Counters of one connection. */
export interface RpcClientStats {
  /** Calls waiting for their reply. */
  readonly pending: number;
  /** Aborted or timed-out calls whose late reply has not arrived yet. */
  readonly abandoned: number;
  /** Late replies dropped. */
  readonly lateReplies: number;
  /** MESSAGE packets dropped (no listener, or status not OK). */
  readonly droppedMessages: number;
  /** Stream packets dropped (no open stream with that serial). */
  readonly droppedStreamPackets: number;
  /** Frames received, keepalive included. */
  readonly framesReceived: number;
  /** Frames sent, keepalive included. */
  readonly framesSent: number;
  /** The socket is not being read now (a stream's reader is behind: flow control). */
  readonly readingPaused: boolean;
  /** How many times reading was paused so far. */
  readonly readPauses: number;
  /** Calls that may block sent and not answered (abandoned ones included until their late reply); see {@link RpcClientOptions.maxInFlight}. */
  readonly inFlight: number;
  /** Calls waiting for the in-flight limit (see {@link RpcClientOptions.maxInFlight}). */
  readonly queued: number;
  /** Calls that had to wait for the in-flight limit so far. */
  readonly queuedTotal: number;
}
