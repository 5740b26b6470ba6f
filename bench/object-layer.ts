/**
 * The object layer's own cost: the same calls through the object API and through the raw layer,
 * on a caller that answers at once with a canned reply (no socket, no daemon), so that the
 * difference is only what the object layer adds: argument conversion, wire-only counts, result
 * conversion, object wrapping. Printed in µs per call; the bound is 2 µs.
 */
import { Connection, Domain, type CallOptions, type Procedure } from '../dist/esm/index.js';
import type { ConnectionBase as GeneratedBase } from '../dist/esm/api/gen/objects.gen.js';
import { RawApi } from '../dist/esm/protocol.js';

const uuid = new Uint8Array(16).fill(1);
const domRef = { name: 'test', uuid, id: 1 };
const REPLIES: Record<string, unknown> = {
  REMOTE_PROC_CONNECT_GET_LIB_VERSION: { lib_ver: 9000000n },
  REMOTE_PROC_DOMAIN_GET_XML_DESC: { xml: '<domain/>' },
  REMOTE_PROC_DOMAIN_GET_INFO: { state: 1, maxMem: 1048576n, memory: 524288n, nrVirtCpu: 2, cpuTime: 123456789n },
  REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS: { domains: Array.from({ length: 10 }, (_, i) => ({ name: `d${i}`, uuid, id: i })), ret: 10 },
  REMOTE_PROC_DOMAIN_IS_ACTIVE: { active: 1 },
};

/** The generated base of `Connection` (the built package bundles it into the root entry). */
const ConnectionBase = Object.getPrototypeOf(Connection) as typeof GeneratedBase;

class CannedCaller extends ConnectionBase {
  override call<A, R>(procedure: Procedure<A, R>, _args: A, _options?: CallOptions): Promise<R> {
    return Promise.resolve(REPLIES[procedure.name] as R);
  }
}

interface Pair {
  readonly name: string;
  readonly object: () => Promise<unknown>;
  readonly raw: () => Promise<unknown>;
}

async function perCall(fn: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 20_000; i++) await fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 1000; i++) await fn();
    n += 1000;
  }
  return ((performance.now() - t0) * 1000) / n;
}

/** Rows of `[call, object µs, raw µs, difference µs]`, medians of `rounds` interleaved rounds. */
export async function objectLayerCost(rounds = 5, ms = 300): Promise<string[][]> {
  const conn = new CannedCaller();
  const raw = new RawApi(conn);
  const dom = new Domain(conn, domRef);
  const pairs: Pair[] = [
    { name: 'getLibVersion', object: () => conn.getLibVersion(), raw: () => raw.connectGetLibVersion() },
    { name: 'getXMLDesc', object: () => dom.getXMLDesc(), raw: () => raw.domainGetXMLDesc(domRef, 0) },
    { name: 'getInfo', object: () => dom.getInfo(), raw: () => raw.domainGetInfo(domRef) },
    { name: 'isActive', object: () => dom.isActive(), raw: () => raw.domainIsActive(domRef) },
    { name: 'listAllDomains (10)', object: () => conn.listAllDomains(), raw: () => raw.connectListAllDomains(1, 0) },
  ];
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  const rows: string[][] = [];
  for (const p of pairs) {
    const o: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < rounds; i++) {
      o.push(await perCall(p.object, ms));
      r.push(await perCall(p.raw, ms));
    }
    const diff = o.map((x, i) => x - r[i]!);
    rows.push([p.name, median(o).toFixed(3), median(r).toFixed(3), median(diff).toFixed(3)]);
  }
  return rows;
}
