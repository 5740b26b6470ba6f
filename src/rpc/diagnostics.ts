/**
 * `node:diagnostics_channel` channels of libvirt-rpc: what the client does, for loggers,
 * metrics and tracers, at no cost when nobody listens (every publisher checks
 * `channel.hasSubscribers` first; a call's start time is not even read then).
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('libvirt-rpc:call:end', (m) => console.log(m.name, m.duration, m.error));
 * ```
 *
 * In the browser build the same channels exist without Node's module (see
 * diagnostics-channel.browser.ts); {@link subscribeDiagnostics} subscribes on either.
 *
 * Every message is a plain object described by the `*Message` types below; a channel's name
 * is in {@link CHANNELS}. Subscribers run synchronously inside the client: they must be quick,
 * and what they throw is reported by Node as an uncaught exception on the next tick (Node's rule
 * for diagnostics channels), never inside the client.
 *
 * @module
 */
import { channel } from './diagnostics-channel.js';

export { subscribeDiagnostics } from './diagnostics-channel.js';

/** The channel names, one per kind of message. */
export const CHANNELS = {
  /** A call is sent ({@link CallStartMessage}). */
  callStart: 'libvirt-rpc:call:start',
  /** A call settled: reply, error, timeout, abort or connection end ({@link CallEndMessage}). */
  callEnd: 'libvirt-rpc:call:end',
  /** How a URI was resolved, before dialing ({@link ConnectionPlanMessage}). */
  connectionPlan: 'libvirt-rpc:connection:plan',
  /** A connection is open: transport up, authenticated, CONNECT_OPEN done ({@link ConnectionOpenMessage}). */
  connectionOpen: 'libvirt-rpc:connection:open',
  /** A connection ended ({@link ConnectionCloseMessage}); with reconnect, each drop. */
  connectionClose: 'libvirt-rpc:connection:close',
  /** Reconnection: each attempt, its failure, success, giving up ({@link ReconnectMessage}). */
  reconnect: 'libvirt-rpc:connection:reconnect',
  /** Authentication steps ({@link AuthMessage}). */
  auth: 'libvirt-rpc:auth',
  /** Data streams opened and closed ({@link StreamMessage}). */
  stream: 'libvirt-rpc:stream',
  /** Keepalive PINGs and PONGs, and a peer declared dead ({@link KeepaliveMessage}). */
  keepalive: 'libvirt-rpc:keepalive',
  /** Events dropped before reaching a listener ({@link EventDroppedMessage}). */
  eventDropped: 'libvirt-rpc:event:dropped',
} as const;

/** Identifies the connection a message is about. */
export interface ConnectionTag {
  /** A number unique in this process, one per RPC connection (a reconnect gets a new one). */
  readonly connectionId: number;
  /** The URI (secrets removed) when known, else an empty string. */
  readonly uri: string;
}

/** {@link CHANNELS.callStart}. */
export interface CallStartMessage extends ConnectionTag {
  readonly program: number;
  readonly version: number;
  readonly procedure: number;
  /** `REMOTE_PROC_CONNECT_GET_LIB_VERSION`, ... */
  readonly name: string;
  readonly serial: number;
  /** `performance.now()` when the call was made. */
  readonly startTime: number;
}

/** {@link CHANNELS.callEnd}. */
export interface CallEndMessage extends CallStartMessage {
  /** Milliseconds from the call to its settlement. */
  readonly duration: number;
  /** Why it failed, or null when it resolved. */
  readonly error: Error | null;
}

/** {@link CHANNELS.connectionPlan}. */
export interface ConnectionPlanMessage {
  readonly uri: string;
  /** The remote driver's plan (transport, socket or host, the name sent in CONNECT_OPEN, ...). */
  readonly plan: unknown;
}

/** {@link CHANNELS.connectionOpen}. */
export interface ConnectionOpenMessage extends ConnectionTag {
  readonly transport: string;
  /** Milliseconds from dialing to the connection being usable. */
  readonly duration: number;
}

/** {@link CHANNELS.connectionClose}. */
export interface ConnectionCloseMessage extends ConnectionTag {
  /** `eof`, `error`, `keepalive` or `client`. */
  readonly reason: string;
  readonly error: Error;
}

/** {@link CHANNELS.reconnect}. */
export interface ReconnectMessage {
  readonly uri: string;
  /** `attempt` (about to dial), `failed` (that attempt), `connected`, `gave-up`. */
  readonly phase: 'attempt' | 'failed' | 'connected' | 'gave-up';
  /** 1 for the first attempt after a drop. */
  readonly attempt: number;
  /** For `failed`: milliseconds until the next attempt (or -1 when none follows). */
  readonly delay?: number;
  /** For `failed` and `gave-up`: why. */
  readonly error?: Error;
  /** For `connected`: the new connection's id, and how long the connection was down. */
  readonly connectionId?: number;
  readonly downtime?: number;
}

/** {@link CHANNELS.auth}. */
export interface AuthMessage extends ConnectionTag {
  /** `offered` (AUTH_LIST answered), `chosen`, `done`, `failed`. */
  readonly step: 'offered' | 'chosen' | 'done' | 'failed';
  /** The methods the daemon offered (`offered`) or the one chosen. */
  readonly methods: readonly string[];
  readonly error?: Error;
}

/** {@link CHANNELS.stream}. */
export interface StreamMessage extends ConnectionTag {
  readonly phase: 'open' | 'close';
  readonly serial: number;
  /** The procedure that opened it. */
  readonly name: string;
}

/** {@link CHANNELS.keepalive}. */
export interface KeepaliveMessage extends ConnectionTag {
  /** `ping-sent`, `pong-sent`, `ping-received`, `pong-received`, `dead`. */
  readonly kind: 'ping-sent' | 'pong-sent' | 'ping-received' | 'pong-received' | 'dead';
}

/** {@link CHANNELS.eventDropped}. */
export interface EventDroppedMessage {
  readonly uri: string;
  /** `unknown-callback` (no registration has the event's callback ID) or `overflow` (a bounded buffer was full). */
  readonly cause: 'unknown-callback' | 'overflow';
  /** The event procedure. */
  readonly procedure: number;
  readonly callbackId: number | null;
}

/** The channel objects (publish only after checking `hasSubscribers`). */
export const diagnostics = {
  callStart: channel(CHANNELS.callStart),
  callEnd: channel(CHANNELS.callEnd),
  connectionPlan: channel(CHANNELS.connectionPlan),
  connectionOpen: channel(CHANNELS.connectionOpen),
  connectionClose: channel(CHANNELS.connectionClose),
  reconnect: channel(CHANNELS.reconnect),
  auth: channel(CHANNELS.auth),
  stream: channel(CHANNELS.stream),
  keepalive: channel(CHANNELS.keepalive),
  eventDropped: channel(CHANNELS.eventDropped),
} as const;

let nextConnectionId = 1;

/** A fresh connection id (see {@link ConnectionTag}). */
export function newConnectionId(): number {
  return nextConnectionId++;
}

/** True when someone listens to the start or the end of calls: then calls are timed. */
export function tracingCalls(): boolean {
  return diagnostics.callStart.hasSubscribers || diagnostics.callEnd.hasSubscribers;
}

/**
 * Publishes the start of a call now and its end when `pending` settles; returns `pending`
 * itself (the handlers attached here never turn a rejection into an unhandled one, nor
 * handle it for the caller).
 */
export function traceCall<R>(start: CallStartMessage, pending: Promise<R>): Promise<R> {
  if (diagnostics.callStart.hasSubscribers) diagnostics.callStart.publish(start);
  const end = (error: Error | null): void => {
    if (!diagnostics.callEnd.hasSubscribers) return;
    const message: CallEndMessage = { ...start, duration: performance.now() - start.startTime, error };
    diagnostics.callEnd.publish(message);
  };
  pending.then(
    () => end(null),
    (err: unknown) => end(err instanceof Error ? err : new Error(String(err))),
  );
  return pending;
}
