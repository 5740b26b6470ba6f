/**
 * Observability against the real daemon: the diagnostics channels see a start and an end
 * (with a duration) for every call, the connection's plan, open, authentication and close;
 * `LIBVIRT_DEBUG=1 tsvirsh -c URI list` prints the plan and the calls on stderr while stdout
 * stays what it is without it.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clientEnv, run } from '../../harness/daemon.js';
import { CHANNELS, connect, type CallEndMessage, type CallStartMessage } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function record(names: string[]): { got: Map<string, unknown[]>; stop: () => void } {
  const got = new Map<string, unknown[]>(names.map((n) => [n, []]));
  const fns = names.map((n) => [n, (m: unknown) => void got.get(n)!.push(m)] as const);
  for (const [n, f] of fns) subscribe(n, f);
  return {
    got,
    stop: () => {
      for (const [n, f] of fns) unsubscribe(n, f);
    },
  };
}

describe('diagnostics channels on a real connection', () => {
  it('a start/end pair with a duration for every call, and the plan, open, auth and close of the connection', async () => {
    const uri = (await harnessDaemon()).uris.testDefaultTcp;
    const rec = record(Object.values(CHANNELS));
    let id = 0;
    try {
      const conn = await connect(uri);
      id = conn.client.connectionId;
      await Promise.all([conn.listAllDomains(), conn.getHostname(), conn.raw.connectGetLibVersion(), conn.raw.domainLookupByName('nope').catch(() => null)]);
      await conn.close();
    } finally {
      rec.stop();
    }
    const starts = rec.got.get(CHANNELS.callStart)!.filter((m) => (m as CallStartMessage).connectionId === id) as CallStartMessage[];
    const ends = rec.got.get(CHANNELS.callEnd)!.filter((m) => (m as CallEndMessage).connectionId === id) as CallEndMessage[];
    expect(starts.length).toBeGreaterThanOrEqual(10); // the open sequence, four calls, CONNECT_CLOSE
    expect(ends.map((e) => e.serial).sort((a, b) => a - b)).toEqual(starts.map((s) => s.serial).sort((a, b) => a - b));
    for (const e of ends) {
      expect(e.duration).toBeGreaterThanOrEqual(0);
      expect(e.program).toBe(0x20008086);
    }
    expect(starts.map((s) => s.name)).toEqual(
      expect.arrayContaining(['REMOTE_PROC_AUTH_LIST', 'REMOTE_PROC_CONNECT_OPEN', 'REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS', 'REMOTE_PROC_CONNECT_CLOSE']),
    );
    expect(ends.find((e) => e.name === 'REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME')?.error?.name).toBe('LibvirtError');
    expect(ends.find((e) => e.name === 'REMOTE_PROC_CONNECT_OPEN')?.error).toBeNull();
    expect(rec.got.get(CHANNELS.connectionPlan)).toEqual(
      expect.arrayContaining([expect.objectContaining({ uri, plan: expect.objectContaining({ transport: 'tcp' }) })]),
    );
    expect(rec.got.get(CHANNELS.connectionOpen)).toEqual(expect.arrayContaining([expect.objectContaining({ connectionId: id, transport: 'tcp' })]));
    expect(
      rec.got
        .get(CHANNELS.auth)!
        .filter((m) => (m as { connectionId: number }).connectionId === id)
        .map((m) => (m as { step: string }).step),
    ).toEqual(['offered', 'chosen', 'done']);
    expect(rec.got.get(CHANNELS.connectionClose)).toEqual(expect.arrayContaining([expect.objectContaining({ connectionId: id, reason: 'client' })]));
  });
});

describe('LIBVIRT_DEBUG', () => {
  it('tsvirsh -c URI list: the plan and the calls on stderr, stdout unchanged', async () => {
    const uri = await privateTestUri('unix');
    const tsvirsh = [path.join(root, 'node_modules/.bin/tsx'), path.join(root, 'src/cli/tsvirsh.ts')];
    const plain = await run(tsvirsh[0]!, [tsvirsh[1]!, '-c', uri, 'list'], { env: clientEnv(), timeoutMs: 60_000, cwd: root });
    const debug = await run(tsvirsh[0]!, [tsvirsh[1]!, '-c', uri, 'list'], { env: clientEnv({ LIBVIRT_DEBUG: '1' }), timeoutMs: 60_000, cwd: root });
    expect(plain.code).toBe(0);
    expect(debug.code).toBe(0);
    expect(debug.stdout).toBe(plain.stdout);
    expect(plain.stdout).toMatch(/ 1 +test +running/);
    expect(plain.stderr).toBe('');
    expect(debug.stderr).toMatch(/: debug : connection \d+ call REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS /);
    expect(debug.stderr).toMatch(/: info : plan uri=test\+unix:\/\/\/.* transport=unix .*socketPath=/);
    expect(debug.stderr).toMatch(/: info : connection \d+ auth chosen none/);
    expect(debug.stderr).toMatch(/: debug : connection \d+ reply REMOTE_PROC_CONNECT_OPEN serial=\d+ [\d.]+ ms ok/);
    for (const line of debug.stderr.trim().split('\n'))
      expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: \d+: (debug|info|warning|error) : /);
  }, 120_000);
});

describe('examples/otel-spans.ts', () => {
  it('turns every call into a span with its duration and error (printed when @opentelemetry/api is not installed)', async () => {
    const uri = await privateTestUri('unix');
    const r = await run(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'examples/otel-spans.ts'), uri], {
      env: clientEnv(),
      timeoutMs: 60_000,
      cwd: root,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const spans = r.stdout.trim().split('\n');
    expect(spans).toEqual(expect.arrayContaining([expect.stringMatching(/^span libvirt REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS [\d.]+ ms$/)]));
    expect(spans).toEqual(expect.arrayContaining([expect.stringMatching(/^span libvirt REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME [\d.]+ ms error: Domain not found/)]));
    expect(spans.filter((l) => l.includes('REMOTE_PROC_CONNECT_OPEN'))).toHaveLength(1);
  }, 90_000);
});
