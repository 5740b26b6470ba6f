/**
 * `npm run bench:xdr`: encode and decode throughput of this XDR runtime (the
 * generated codecs) against `@stellar/js-xdr` on three libvirt payloads, in
 * one run:
 *
 * - a `remote_connect_list_all_domains_ret` reply with 10,000 domains;
 * - a `remote_domain_get_guest_info_ret` with 1,000 typed parameters, a mix of
 *   every arm of `remote_typed_param_value`;
 * - a `remote_domain_get_xml_desc_ret` holding a 1 MiB XML document.
 *
 * js-xdr gets the same types declared in its DSL and works on its own value
 * objects, built once outside the timed loop. Its decoder leaves strings as
 * Buffer views of the input; the "decode" figure adds the `toString()` that
 * gives the caller the same information as ours (JavaScript strings), and the
 * raw figure is printed below the table. Both sides must produce identical
 * bytes before anything is timed. Numbers are noisy on a shared machine: the
 * ratios of one run are what counts. BENCH_SECONDS (default 2) sets the time
 * measured per figure.
 *
 * Both benchmarks measure the built package (dist/), as users run it: `npm run
 * bench:*` builds it first. Run from the sources under tsx, the library would
 * carry esbuild's keepNames wrappers, which cost time on every call.
 */
import {
  remoteConnectListAllDomainsRetCodec,
  remoteDomainGetGuestInfoRetCodec,
  remoteDomainGetXmlDescRetCodec,
  type RemoteConnectListAllDomainsRet,
  type RemoteDomainGetGuestInfoRet,
  type RemoteDomainGetXmlDescRet,
  type RemoteTypedParamValue,
} from '../dist/esm/protocol.js';
import { decodeXdr, encodeXdr, type XdrCodec } from '../dist/esm/xdr/index.js';
import { libvirtTypes } from '../test/support/js-xdr.js';

// --- js-xdr (untyped): the libvirt types declared in its DSL, shared with the differential tests ---

interface JsClass {
  new (...args: unknown[]): JsObject;
  toXDR(value: unknown): Buffer;
  fromXDR(input: Uint8Array): JsObject;
}
interface JsObject {
  readonly _attributes: Record<string, unknown>;
  switch(): number;
  value(): unknown;
}
const js = libvirtTypes as Record<string, JsClass>;

// --- payloads ----------------------------------------------------------------

/** A deterministic pseudo-random generator (xorshift32), so every run encodes the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}
const rand = rng(0x5eed);

function uuid(): Buffer {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const domainsOf = (): RemoteConnectListAllDomainsRet => ({
  domains: Array.from({ length: 10_000 }, (_, i) => ({
    name: `guest-${i.toString().padStart(5, '0')}${i % 3 === 0 ? '-web' : i % 3 === 1 ? '-database-replica' : ''}`,
    uuid: uuid(),
    id: i % 4 === 0 ? -1 : i + 1,
  })),
  ret: 10_000,
});

const FIELDS = ['cpu.time', 'balloon.current', 'block.0.rd.bytes', 'net.0.rx.pkts', 'vcpu.0.state', 'user.name', 'os.kernel-release'];
function typedValue(i: number): RemoteTypedParamValue {
  switch (i % 7) {
    case 0:
      return { type: 1, i: Math.floor(rand() * 0xffffffff) - 0x80000000 };
    case 1:
      return { type: 2, ui: Math.floor(rand() * 0xffffffff) };
    case 2:
      return { type: 3, l: BigInt(Math.floor(rand() * 2 ** 52)) * (i % 2 ? -1n : 1n) };
    case 3:
      return { type: 4, ul: BigInt(Math.floor(rand() * 2 ** 52)) << 10n };
    case 4:
      return { type: 5, d: rand() * 1e6 };
    case 5:
      return { type: 6, b: i % 2 };
    default:
      return { type: 7, s: `value-${i}-${'x'.repeat(i % 23)}` };
  }
}
const typedParamsOf = (): RemoteDomainGetGuestInfoRet => ({
  params: Array.from({ length: 1_000 }, (_, i) => ({ field: `${FIELDS[i % FIELDS.length]}.${i}`, value: typedValue(i) })),
});

function xmlOf(bytes: number): string {
  const disk = (i: number) =>
    `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n` +
    `      <source file='/var/lib/libvirt/images/guest-${i}.qcow2'/>\n      <target dev='vd${i}' bus='virtio'/>\n    </disk>\n`;
  let s = "<domain type='kvm'>\n  <name>guest</name>\n  <devices>\n";
  for (let i = 0; s.length < bytes - 32; i++) s += disk(i);
  s = s.slice(0, bytes - 23);
  return `${s}\n  </devices>\n</domain>`.padEnd(bytes, ' ');
}
const xmlDescOf = (): RemoteDomainGetXmlDescRet => ({ xml: xmlOf(1 << 20) });

// The same values as js-xdr objects.
const JsDomain = js.remote_nonnull_domain;
const JsValue = js.remote_typed_param_value;
const JsParam = js.remote_typed_param;
const ARM = { 1: 'i', 2: 'ui', 3: 'l', 4: 'ul', 5: 'd', 6: 'b', 7: 's' } as const;
const jsDomainsOf = (v: RemoteConnectListAllDomainsRet): JsObject =>
  new js.remote_connect_list_all_domains_ret({
    domains: v.domains.map((d) => new JsDomain({ name: d.name, uuid: d.uuid, id: d.id })),
    ret: v.ret,
  });
const jsTypedParamsOf = (v: RemoteDomainGetGuestInfoRet): JsObject =>
  new js.remote_domain_get_guest_info_ret({
    params: v.params.map((p) => new JsParam({ field: p.field, value: new JsValue(p.value.type, (p.value as Record<string, unknown>)[ARM[p.value.type]]) })),
  });
const jsXmlOf = (v: RemoteDomainGetXmlDescRet): JsObject => new js.remote_domain_get_xml_desc_ret({ xml: v.xml });

// What a js-xdr caller does to get strings out of a decoded value.
const str = (v: unknown): string => (v as Buffer).toString('utf8');
const attrs = (o: unknown): Record<string, unknown> => (o as JsObject)._attributes;

interface Case {
  readonly name: string;
  readonly codec: XdrCodec<never>;
  readonly value: unknown;
  readonly jsType: JsClass;
  readonly jsValue: JsObject;
  /** Turns js-xdr's Buffer views into strings (what our decoder returns). */
  readonly materialize: (decoded: JsObject) => void;
}

/**
 * The cases, each built just before it runs and dropped after, so that no
 * case pays for garbage collection over another case's data.
 */
const cases: (() => Case)[] = [
  () => {
    const value = domainsOf();
    return {
      name: 'list_all_domains_ret, 10,000 domains',
      codec: remoteConnectListAllDomainsRetCodec as XdrCodec<never>,
      value,
      jsType: js.remote_connect_list_all_domains_ret,
      jsValue: jsDomainsOf(value),
      materialize: (d) => {
        for (const dom of attrs(d).domains as unknown[]) str(attrs(dom).name);
      },
    };
  },
  () => {
    const value = typedParamsOf();
    return {
      name: 'typed params, 1,000 entries',
      codec: remoteDomainGetGuestInfoRetCodec as XdrCodec<never>,
      value,
      jsType: js.remote_domain_get_guest_info_ret,
      jsValue: jsTypedParamsOf(value),
      materialize: (d) => {
        for (const p of attrs(d).params as unknown[]) {
          const a = attrs(p);
          str(a.field);
          const v = a.value as JsObject;
          if (v.switch() === 7) str(v.value());
        }
      },
    };
  },
  () => {
    const value = xmlDescOf();
    return {
      name: 'get_xml_desc_ret, 1 MiB XML',
      codec: remoteDomainGetXmlDescRetCodec as XdrCodec<never>,
      value,
      jsType: js.remote_domain_get_xml_desc_ret,
      jsValue: jsXmlOf(value),
      materialize: (d) => {
        str(attrs(d).xml);
      },
    };
  },
];

// --- timing ------------------------------------------------------------------

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
let sink = 0;

const ROUNDS = 7;

/** Runs `fn` in batches for `ns` nanoseconds; returns operations per second. */
function slice(fn: () => unknown, batch: number, ns: bigint): number {
  let ops = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + ns;
  let t = t0;
  while (t < end) {
    for (let i = 0; i < batch; i++) sink ^= fn() ? 1 : 0;
    ops += batch;
    t = process.hrtime.bigint();
  }
  return ops / (Number(t - t0) / 1e9);
}

/**
 * Operations per second of each function. Each is warmed up (and given a
 * batch size of ~10 ms), then they take turns for ROUNDS rounds of
 * SECONDS/ROUNDS each, so that a change of machine load hits them alike;
 * each gets the median of its rounds.
 */
function opsPerSecond(...fns: (() => unknown)[]): number[] {
  const sliceNs = BigInt(Math.round((SECONDS / ROUNDS) * 1e9));
  const batches = fns.map((fn) => {
    let batch = 1;
    for (const end = process.hrtime.bigint() + sliceNs; process.hrtime.bigint() < end; ) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) sink ^= fn() ? 1 : 0;
      if (process.hrtime.bigint() - t0 < 10_000_000n) batch *= 2;
    }
    return batch;
  });
  const rates: number[][] = fns.map(() => []);
  for (let r = 0; r < ROUNDS; r++)
    fns.forEach((fn, k) => {
      rates[k].push(slice(fn, batches[k], sliceNs));
    });
  return rates.map((rs) => rs.sort((a, b) => a - b)[ROUNDS >> 1]);
}

interface Row {
  readonly name: string;
  readonly op: string;
  readonly bytes: number;
  readonly ours: number;
  readonly theirs: number;
}

/** A Buffer over the bytes of `u` (the engine hands out Uint8Arrays; Buffers in Node). */
const view = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function check(c: Case): Buffer {
  const ours = view(encodeXdr(c.codec, c.value as never));
  const theirs = c.jsType.toXDR(c.jsValue);
  if (!ours.equals(theirs)) throw new Error(`${c.name}: the two encoders produce different bytes`);
  // Each side decodes the other's bytes.
  view(encodeXdr(c.codec, decodeXdr(c.codec, theirs) as never)).equals(ours) || fail(c, 'ours cannot read js-xdr');
  c.jsType.toXDR(c.jsType.fromXDR(ours)).equals(ours) || fail(c, 'js-xdr cannot read ours');
  return ours;
}
function fail(c: Case, why: string): never {
  throw new Error(`${c.name}: ${why}`);
}

const rows: Row[] = [];
const rawDecode: Row[] = [];
for (const makeCase of cases) {
  const c = makeCase();
  const bytes = check(c);
  const n = bytes.length;
  const [encOurs, encTheirs] = opsPerSecond(
    () => encodeXdr(c.codec, c.value as never),
    () => c.jsType.toXDR(c.jsValue),
  );
  const [decOurs, decTheirs, decTheirsRaw] = opsPerSecond(
    () => decodeXdr(c.codec, bytes),
    () => {
      const d = c.jsType.fromXDR(bytes);
      c.materialize(d);
      return d;
    },
    () => c.jsType.fromXDR(bytes),
  );
  rows.push({ name: c.name, op: 'encode', bytes: n, ours: encOurs, theirs: encTheirs });
  rows.push({ name: c.name, op: 'decode', bytes: n, ours: decOurs, theirs: decTheirs });
  rows.push({ name: c.name, op: 'encode+decode', bytes: n, ours: 1 / (1 / encOurs + 1 / decOurs), theirs: 1 / (1 / encTheirs + 1 / decTheirs) });
  rawDecode.push({ name: c.name, op: 'decode (strings left as Buffers)', bytes: n, ours: decOurs, theirs: decTheirsRaw });
}

// --- report ------------------------------------------------------------------

const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mbps = (ops: number, bytes: number): string => fmt((ops * bytes) / 1e6, 0);
const table = (title: string, rs: Row[]): string[] => {
  const head = ['payload', 'operation', 'bytes', 'ours ops/s', 'ours MB/s', 'js-xdr ops/s', 'js-xdr MB/s', 'ours/js-xdr'];
  const body = rs.map((r) => [
    r.name,
    r.op,
    fmt(r.bytes),
    fmt(r.ours, 1),
    mbps(r.ours, r.bytes),
    fmt(r.theirs, 1),
    mbps(r.theirs, r.bytes),
    `${fmt(r.ours / r.theirs, 2)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [title, '', line(head), `|${widths.map((w, i) => (i < 2 ? ` ${'-'.repeat(w)} |` : ` ${'-'.repeat(w - 1)}: |`)).join('')}`, ...body.map(line)];
};

console.log(
  [
    `XDR throughput, node ${process.version}, ${SECONDS} s per figure (MB = 10^6 bytes)`,
    '',
    ...table('libvirt-rpc vs @stellar/js-xdr', rows),
    '',
    ...table('js-xdr decode without turning strings into JavaScript strings', rawDecode),
    '',
  ].join('\n'),
);
if (sink === 42) console.log('');
