/**
 * OpenTelemetry spans for every libvirt call, fed from libvirt-rpc's diagnostics channels,
 * with no dependency of libvirt-rpc on OpenTelemetry: this file subscribes to
 * `libvirt-rpc:call:start` / `libvirt-rpc:call:end` and turns each pair into a span (name
 * `libvirt REMOTE_PROC_...`, start and end times, attributes for the program, procedure,
 * serial, connection and URI, error status). It uses `@opentelemetry/api` when the application
 * has it installed (loaded with a dynamic import), else a tracer that prints the spans, so it
 * runs as it is:
 *
 *   npx tsx examples/otel-spans.ts test+tcp://127.0.0.1:16509/default
 *
 * In an application with OpenTelemetry set up, call `traceLibvirtCalls(trace.getTracer('libvirt'))`
 * once at start-up; the spans then go wherever its exporter sends them.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { CHANNELS, connect, type CallEndMessage, type CallStartMessage } from '../src/index.js';

/** The part of OpenTelemetry's `Tracer` and `Span` (from `@opentelemetry/api`) used here. */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): unknown;
  end(endTime?: number): void;
}
export interface TracerLike {
  startSpan(name: string, options?: { startTime?: number; attributes?: Record<string, string | number | boolean>; kind?: number }): SpanLike;
}

/** OpenTelemetry's `SpanStatusCode.ERROR` and `SpanKind.CLIENT`. */
const STATUS_ERROR = 2;
const KIND_CLIENT = 2;

/** `performance.now()` to epoch milliseconds (OpenTelemetry's `TimeInput` as a number). */
const toEpoch = (t: number): number => performance.timeOrigin + t;

/**
 * Makes a span of every call until the returned function is called. The span starts when the
 * call is made and ends when it settles; a failed call gets its error recorded and the error
 * status. Calls are matched by connection and serial.
 */
export function traceLibvirtCalls(tracer: TracerLike): () => void {
  const open = new Map<string, SpanLike>();
  const onStart = (m: unknown): void => {
    const s = m as CallStartMessage;
    open.set(`${s.connectionId}/${s.serial}`, tracer.startSpan(`libvirt ${s.name}`, {
      kind: KIND_CLIENT,
      startTime: toEpoch(s.startTime),
      attributes: {
        'rpc.system': 'libvirt',
        'rpc.method': s.name,
        'libvirt.program': s.program,
        'libvirt.procedure': s.procedure,
        'libvirt.serial': s.serial,
        'libvirt.connection_id': s.connectionId,
        'libvirt.uri': s.uri,
      },
    }));
  };
  const onEnd = (m: unknown): void => {
    const e = m as CallEndMessage;
    const key = `${e.connectionId}/${e.serial}`;
    const span = open.get(key);
    if (!span) return;
    open.delete(key);
    if (e.error) {
      span.recordException(e.error);
      span.setStatus({ code: STATUS_ERROR, message: e.error.message });
    }
    span.end(toEpoch(e.startTime + e.duration));
  };
  subscribe(CHANNELS.callStart, onStart);
  subscribe(CHANNELS.callEnd, onEnd);
  return () => {
    unsubscribe(CHANNELS.callStart, onStart);
    unsubscribe(CHANNELS.callEnd, onEnd);
  };
}

/** The application's OpenTelemetry tracer if `@opentelemetry/api` is installed, else one that prints. */
async function loadTracer(): Promise<TracerLike> {
  const name = '@opentelemetry/api'; // a variable: no type or bundle dependency on it
  try {
    const api = (await import(name)) as { trace: { getTracer(n: string): TracerLike } };
    return api.trace.getTracer('libvirt-rpc-example');
  } catch {
    return {
      startSpan(spanName, options) {
        const start = options?.startTime ?? Date.now();
        let error = '';
        return {
          setAttribute: () => undefined,
          setStatus: (s) => void (error = s.message ?? 'error'),
          recordException: () => undefined,
          end: (end = Date.now()) => console.log(`span ${spanName} ${(end - start).toFixed(2)} ms${error ? ` error: ${error}` : ''}`),
        };
      },
    };
  }
}

if (process.argv[1]?.endsWith('otel-spans.ts')) {
  const stop = traceLibvirtCalls(await loadTracer());
  await using conn = await connect(process.argv[2] ?? 'test:///default');
  await conn.listAllDomains();
  await conn.domainLookupByName('no-such-domain').catch(() => undefined);
  stop();
}
