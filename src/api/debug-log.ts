/**
 * The debug log on stderr that `LIBVIRT_DEBUG` turns on, as in libvirt (`LIBVIRT_DEBUG=1`
 * debug, `2` info, `3` warning, `4` error; or those names). It is a subscriber of the
 * diagnostics channels (src/rpc/diagnostics.ts): how the URI was resolved, the transport, the
 * authentication steps, each call with its serial and duration (debug), keepalive and streams
 * (debug), drops and reconnection. Lines follow libvirt's layout:
 * `2026-12-06 04:50:00.123+0000: 4242: debug : call REMOTE_PROC_CONNECT_OPEN serial=3 ...`.
 * Nothing is written to stdout, so a command's output is the same with it.
 *
 * @module
 */
import { subscribe } from 'node:diagnostics_channel';
import {
  type AuthMessage,
  type CallEndMessage,
  type CallStartMessage,
  CHANNELS,
  type ConnectionCloseMessage,
  type ConnectionOpenMessage,
  type ConnectionPlanMessage,
  type EventDroppedMessage,
  type KeepaliveMessage,
  type ReconnectMessage,
  type StreamMessage,
} from '../rpc/diagnostics.js';

const LEVELS: Readonly<Record<string, number>> = { debug: 1, info: 2, warning: 3, warn: 3, error: 4 };

/** libvirt's priority from a `LIBVIRT_DEBUG` value (1-4 or a name), or null for anything else (ignored, as libvirt does). */
export function debugLevel(value: string): number | null {
  const n = Number(value);
  if (value.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= 4) return n;
  return LEVELS[value.trim().toLowerCase()] ?? null;
}

let enabledLevel = 0;

/** A libvirt-style timestamp: `2026-12-06 04:50:00.123+0000`. */
function stamp(): string {
  return `${new Date().toISOString().replace('T', ' ').replace('Z', '')}+0000`;
}

const NAMES = ['', 'debug', 'info', 'warning', 'error'];

/**
 * Starts writing the debug log to `write` (default stderr) at the priority `value` names; once
 * per process (a second call only lowers the threshold). `connect()` calls it when
 * `LIBVIRT_DEBUG` is set in its environment. A value that is not a priority is ignored.
 */
export function enableDebugLog(value: string, write: (line: string) => void = (l) => void process.stderr.write(l)): void {
  const level = debugLevel(value);
  if (level === null) return;
  if (enabledLevel !== 0) {
    enabledLevel = Math.min(enabledLevel, level);
    return;
  }
  enabledLevel = level;
  const log = (priority: number, text: string): void => {
    if (priority < enabledLevel) return;
    write(`${stamp()}: ${process.pid}: ${NAMES[priority]} : ${text}\n`);
  };
  const on = <M>(name: string, fn: (m: M) => void): void => {
    subscribe(name, (m) => fn(m as M));
  };
  on<ConnectionPlanMessage>(CHANNELS.connectionPlan, (m) => {
    const p = m.plan as Record<string, unknown>;
    const fields = Object.entries(p)
      .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    log(2, `plan uri=${m.uri} ${fields}`);
    if (Array.isArray(p.command)) log(2, `plan command=${(p.command as unknown[]).map(String).join(' ')}`);
  });
  on<ConnectionOpenMessage>(CHANNELS.connectionOpen, (m) =>
    log(2, `connection ${m.connectionId} open uri=${m.uri} transport=${m.transport} in ${m.duration.toFixed(1)} ms`),
  );
  on<ConnectionCloseMessage>(CHANNELS.connectionClose, (m) =>
    log(m.reason === 'client' ? 2 : 3, `connection ${m.connectionId} closed uri=${m.uri} reason=${m.reason}: ${m.error.message}`),
  );
  on<ReconnectMessage>(CHANNELS.reconnect, (m) => {
    const extra =
      m.phase === 'failed'
        ? `: ${m.error?.message} (next in ${m.delay} ms)`
        : m.phase === 'connected'
          ? ` as connection ${m.connectionId} after ${m.downtime} ms down`
          : m.phase === 'gave-up'
            ? `: ${m.error?.message}`
            : '';
    log(m.phase === 'attempt' || m.phase === 'connected' ? 2 : 3, `reconnect ${m.phase} #${m.attempt} uri=${m.uri}${extra}`);
  });
  on<AuthMessage>(CHANNELS.auth, (m) =>
    log(m.step === 'failed' ? 4 : 2, `connection ${m.connectionId} auth ${m.step} ${m.methods.join(',')}${m.error ? `: ${m.error.message}` : ''}`),
  );
  on<CallStartMessage>(CHANNELS.callStart, (m) =>
    log(1, `connection ${m.connectionId} call ${m.name} prog=0x${m.program.toString(16)} proc=${m.procedure} serial=${m.serial}`),
  );
  on<CallEndMessage>(CHANNELS.callEnd, (m) =>
    log(
      m.error ? 3 : 1,
      `connection ${m.connectionId} reply ${m.name} serial=${m.serial} ${m.duration.toFixed(2)} ms ${m.error ? `error ${m.error.name}: ${m.error.message}` : 'ok'}`,
    ),
  );
  on<StreamMessage>(CHANNELS.stream, (m) => log(1, `connection ${m.connectionId} stream ${m.phase} ${m.name} serial=${m.serial}`));
  on<KeepaliveMessage>(CHANNELS.keepalive, (m) => log(m.kind === 'dead' ? 3 : 1, `connection ${m.connectionId} keepalive ${m.kind}`));
  on<EventDroppedMessage>(CHANNELS.eventDropped, (m) => log(1, `event dropped uri=${m.uri} cause=${m.cause} proc=${m.procedure} callbackID=${m.callbackId}`));
}
