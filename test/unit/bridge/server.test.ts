/**
 * The bridge's refusals that come before any daemon is dialed (src/bridge/server.ts), over real
 * WebSockets on loopback: each answers the upgrade with its status and reason, which the
 * client's TransportError quotes, and each is logged. The daemon side is in
 * test/integration/bridge.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../../src/bridge/index.js';
import { ArgumentError } from '../../../src/errors/root.js';
import { TransportError } from '../../../src/rpc/errors.js';
import { dialWebSocket } from '../../../src/transport/websocket.js';

let bridge: Bridge;
const logged: string[] = [];
const seen: string[] = [];

beforeAll(async () => {
  bridge = await startBridge({
    verify: (token) => {
      seen.push(token);
      return token === 'good' ? { uri: 'test+unix:///default?socket=/nonexistent/libvirt-sock' } : null;
    },
    origins: ['https://ok.example'],
    log: (line) => logged.push(line),
  });
});

afterAll(async () => {
  await bridge?.close();
});

describe('startBridge refusals', () => {
  it('listens on loopback by default, at /libvirt', () => {
    expect(bridge.url).toBe(`ws://127.0.0.1:${bridge.port}/libvirt`);
  });

  it('asks verify, and refuses a token it rejects (401) or a daemon it cannot reach (502)', async () => {
    await expect(dialWebSocket(bridge.url, { token: 'bad', timeout: 10_000 })).rejects.toThrow(/refused: 401 the token is not valid/);
    const err = await dialWebSocket(bridge.url, { token: 'good', timeout: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/refused: 502 the daemon cannot be reached/);
    expect(seen).toEqual(['bad', 'good']);
    expect(logged.some((l) => /refused: cannot reach test\+unix:\/\/\/default\?socket=\/nonexistent\/libvirt-sock: /.test(l))).toBe(true);
  });

  it('refuses another path (404) and a foreign Origin (403) before reading the token', async () => {
    await expect(dialWebSocket(bridge.url.replace('/libvirt', '/other'), { token: 'good', timeout: 10_000 })).rejects.toThrow(/404 no WebSocket at \/other/);
    await expect(dialWebSocket(bridge.url, { token: 'good', origin: 'https://evil.example', timeout: 10_000 })).rejects.toThrow(
      /403 Origin https:\/\/evil.example is not allowed/,
    );
    expect(seen).toEqual(['bad', 'good']);
  });

  it('dialWebSocket rejects what is not a ws: or wss: URL before any I/O', async () => {
    await expect(dialWebSocket('http://127.0.0.1/')).rejects.toThrow(ArgumentError);
    await expect(dialWebSocket('not a url')).rejects.toThrow(/webSocket must be a ws: or wss: URL/);
  });

  it('needs tokens or verify', async () => {
    await expect(startBridge({})).rejects.toThrow(/tokens or verify is required/);
  });
});
