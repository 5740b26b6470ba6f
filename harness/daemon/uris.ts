/**
 * URIs of the harness daemons.
 *
 * @module
 */
import type { DaemonTransport } from './common.js';
import { assertSafePath } from './config.js';

/** The test-driver URI for a node XML file on a daemon reachable at `socketPath` / `tcpPort`. */
export function testDriverUriFor(endpoint: { socketPath: string; tcpPort: number }, nodeXmlPath: string, transport: DaemonTransport): string {
  assertSafePath(nodeXmlPath, 'node XML path');
  return transport === 'unix' ? `test+unix://${nodeXmlPath}?socket=${endpoint.socketPath}` : `test+tcp://127.0.0.1:${endpoint.tcpPort}${nodeXmlPath}`;
}
