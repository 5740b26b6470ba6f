/**
 * `libvirt-rpc/calls` (src/calls.ts), the tree-shakable entry:
 *
 * - its standalone procedures (remote, qemu and lxc programs) are the procedure tables'
 *   descriptors (every field, and codecs of the same types that encode the same bytes), and its
 *   functions are the raw layer's methods, every one of them;
 * - a small agent bundled with esbuild (bench/fixtures/calls-agent.ts: open, list the domains,
 *   read their XML) holds the two procedures it calls and not the others, nor the object layer,
 *   the events, the XML model or the procedure tables, and is at most 300 KB (issue 15); one
 *   that runs a QEMU monitor command (bench/fixtures/calls-qemu-agent.ts) holds that qemu
 *   procedure and not the qemu program's others nor its table.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleAgent } from '../../../bench/fixtures/bundle-agent.js';
import * as calls from '../../../src/calls.js';
import { RawApi } from '../../../src/api/gen/raw.gen.js';
import { lxcProcedures } from '../../../src/procedures/lxc-core.gen.js';
import * as lxcProcs from '../../../src/procedures/lxc-procs.gen.js';
import { qemuProcedures } from '../../../src/procedures/qemu-core.gen.js';
import * as qemuProcs from '../../../src/procedures/qemu-procs.gen.js';
import * as remoteBulk from '../../../src/procedures/remote-bulk.gen.js';
import { remoteProcedures } from '../../../src/procedures/remote-core.gen.js';
import * as remoteProtocol from '../../../src/procedures/remote.gen.js';
import * as procs from '../../../src/procedures/remote-procs.gen.js';
import type { CallOptions, Procedure, ProcedureCaller } from '../../../src/rpc/procedure.js';
import type { DescribedCodec } from '../../../src/xdr/codec-schema.js';
import { XdrReader } from '../../../src/xdr/reader.js';
import { XdrWriter } from '../../../src/xdr/writer.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The standalone procedures of the three programs (their modules also have the constants, enums and shared codecs). */
const standaloneProcs = Object.fromEntries(
  [...Object.entries(procs), ...Object.entries(qemuProcs), ...Object.entries(lxcProcs)].filter(
    ([k, v]) => /^(REMOTE|QEMU|LXC)_PROC_/.test(k) && typeof v === 'object',
  ),
) as Record<string, Procedure>;
/** The functions of the entry that are not procedures: opening a connection, and moving a stream's bytes. */
const HELPERS = new Set(['open', 'readAll', 'pipeToFile', 'pipeFromFile', 'sendFile']);
/** The procedure tables of the same programs, by procedure name. */
const tables = { ...remoteProcedures, ...qemuProcedures, ...lxcProcedures } as Record<string, Procedure>;

describe('the standalone procedures and the call functions', () => {
  const standalone = Object.entries(standaloneProcs);

  it('are the procedure tables of the remote, qemu and lxc programs, procedure by procedure (events left out)', () => {
    const callable = Object.values(tables).filter((p) => !p.event);
    expect(standalone.map(([k]) => k).sort()).toEqual(callable.map((p) => p.name).sort());
    expect(new Set(standalone.map(([, p]) => p.program))).toEqual(new Set(['remote', 'qemu', 'lxc']));
    for (const [name, p] of standalone) {
      const t = tables[name]!;
      const { args, ret, ...fields } = p;
      const { args: targs, ret: tret, ...tfields } = t;
      expect(fields).toEqual(tfields);
      expect([args?.name ?? null, ret?.name ?? null]).toEqual([targs?.name ?? null, tret?.name ?? null]);
    }
  });

  it('encode and decode as the table codecs do', () => {
    const dom = { name: 'guest-ü', uuid: Uint8Array.from({ length: 16 }, (_, i) => i * 7), id: 3 };
    const cases: [Procedure, 'args' | 'ret', unknown][] = [
      [procs.REMOTE_PROC_DOMAIN_GET_XML_DESC, 'args', { dom, flags: 1 }],
      [procs.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, 'ret', { domains: [dom, { ...dom, name: 'b', id: -1 }], ret: 2 }],
      [procs.REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, 'ret', { params: [{ field: 'cpu_shares', value: { type: 4, ul: 1024n } }] }],
      [procs.REMOTE_PROC_AUTH_SASL_START, 'ret', { complete: 0, nil: 0, data: [1, 2, 3] }],
      // Bulk types (array elements, straight-line code) inside described ones, both ways.
      [
        procs.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS,
        'ret',
        {
          retStats: [
            {
              dom,
              params: [
                { field: 'state.state', value: { type: 1, i: 5 } },
                { field: 's', value: { type: 7, s: 'x' } },
              ],
            },
          ],
        },
      ],
      [procs.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS, 'args', { doms: [dom, dom], stats: 1, flags: 0 }],
      // qemu's and lxc's args name remote_nonnull_domain (remote-procs.gen.ts's codec).
      [qemuProcs.QEMU_PROC_DOMAIN_MONITOR_COMMAND, 'args', { dom, cmd: '{"execute":"query-status"}', flags: 1 }],
      [qemuProcs.QEMU_PROC_DOMAIN_AGENT_COMMAND, 'ret', { result: null }],
      [qemuProcs.QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER, 'args', { dom: null, event: 'STOP', flags: 0 }],
      [lxcProcs.LXC_PROC_DOMAIN_OPEN_NAMESPACE, 'args', { dom, flags: 0 }],
    ];
    for (const [p, which, value] of cases) {
      const table = tables[p.name]![which]!;
      const mine = p[which]!;
      const bytes = (c: typeof mine): Uint8Array => {
        const w = new XdrWriter();
        c.encode(w, value as never);
        return w.toBytes();
      };
      expect(bytes(mine)).toEqual(bytes(table));
      expect(mine.decode(new XdrReader(bytes(table)))).toEqual(value);
    }
  });

  it('share the straight-line codecs of the bulk types with the procedure table: one declaration each (remote-bulk.gen.ts)', () => {
    const bulk = Object.entries(remoteBulk);
    expect(bulk.length).toBeGreaterThan(10);
    // Exported by the protocol module as before, and the very objects the table's codecs use.
    for (const [name, codec] of bulk) expect((remoteProtocol as Record<string, unknown>)[name], name).toBe(codec);
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL.ret).toBe(remoteBulk.remoteDomainGetSecurityLabelRetCodec);
    // A standalone procedure whose ret is a bulk type, and described codecs naming bulk ones (qemu's too).
    expect(procs.REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL.ret).toBe(remoteBulk.remoteDomainGetSecurityLabelRetCodec);
    expect((procs.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS.ret as DescribedCodec).refs!()).toContain(remoteBulk.remoteNonnullDomainCodec);
    expect((qemuProcs.QEMU_PROC_DOMAIN_MONITOR_COMMAND.args as DescribedCodec).refs!()).toEqual([remoteBulk.remoteNonnullDomainCodec]);
  });

  it('are one function per raw method, each calling its procedure', async () => {
    const methods = Object.getOwnPropertyNames(RawApi.prototype).filter((m) => m !== 'constructor');
    const fns = Object.entries(calls).filter(([k, v]) => typeof v === 'function' && /^[a-z]/.test(k) && !HELPERS.has(k)) as [
      string,
      (...a: unknown[]) => Promise<unknown>,
    ][];
    // Every raw method (remote, qemu and lxc programs) has its function.
    expect(fns.map(([k]) => k).sort()).toEqual(methods.sort());
    for (const [k, f] of fns) {
      let called: Procedure | null = null;
      // The fake caller fails each call: stream functions then never touch a stream.
      const caller: ProcedureCaller = {
        call: async <A, R>(p: Procedure<A, R>): Promise<R> => {
          called = p;
          throw new Error('no daemon');
        },
      };
      const err = (await f(caller, ...Array.from({ length: 12 }, () => undefined)).then(
        () => null,
        (e: unknown) => e,
      )) as Error;
      expect(f.name).toBe(k);
      // A stream function needs a caller that opens streams: it fails naming its procedure instead.
      const name = called === null ? /^(REMOTE_PROC_\w+)/.exec(err.message)?.[1] : (called as Procedure).name;
      if (called !== null) expect(err.message).toBe('no daemon');
      const p = standaloneProcs[name ?? '']!;
      if (called !== null) expect(called).toBe(p);
      expect(p.method).toBe(k);
      expect(p.stream !== null || called !== null).toBe(true);
    }
  });

  it('call as the raw methods do: the args struct from the arguments, then the options', async () => {
    const seen: unknown[] = [];
    const caller: ProcedureCaller = {
      call: async <A, R>(p: Procedure<A, R>, args: A, options?: CallOptions) => {
        seen.push([p.name, args, options]);
        return { xml: '<domain/>' } as R;
      },
    };
    const dom = { name: 'a', uuid: new Uint8Array(16), id: 1 };
    const options = { timeout: 5 };
    expect(await calls.domainGetXMLDesc(caller, dom, 2, options)).toBe('<domain/>');
    expect(await calls.connectGetCapabilities(caller)).toBe(undefined); // the caller gave no `capabilities` field
    expect(await calls.domainQemuMonitorCommand(caller, dom, 'query-status', 1)).toBe(undefined); // nor `result`
    expect(await calls.domainLxcOpenNamespace(caller, dom, 0, options)).toBe(undefined);
    expect(seen).toEqual([
      ['REMOTE_PROC_DOMAIN_GET_XML_DESC', { dom, flags: 2 }, options],
      ['REMOTE_PROC_CONNECT_GET_CAPABILITIES', undefined, undefined],
      ['QEMU_PROC_DOMAIN_MONITOR_COMMAND', { dom, cmd: 'query-status', flags: 1 }, undefined],
      ['LXC_PROC_DOMAIN_OPEN_NAMESPACE', { dom, flags: 0 }, options],
    ]);
  });

  it("call qemu and lxc procedures on their own program's number, as the root's raw layer does", async () => {
    const sent: Procedure[] = [];
    const caller: ProcedureCaller = {
      call: async <A, R>(p: Procedure<A, R>) => {
        sent.push(p as Procedure);
        return { result: '{}' } as R;
      },
    };
    const dom = { name: 'a', uuid: new Uint8Array(16), id: 1 };
    const viaRaw = new RawApi(caller);
    await calls.domainQemuMonitorCommand(caller, dom, 'query-status', 0);
    await viaRaw.domainQemuMonitorCommand(dom, 'query-status', 0);
    await calls.domainLxcOpenNamespace(caller, dom, 0);
    await viaRaw.domainLxcOpenNamespace(dom, 0);
    expect(sent.map((p) => [p.name, p.program, p.programNumber, p.version, p.number])).toEqual([
      ['QEMU_PROC_DOMAIN_MONITOR_COMMAND', 'qemu', 0x20008087, 1, 1],
      ['QEMU_PROC_DOMAIN_MONITOR_COMMAND', 'qemu', 0x20008087, 1, 1],
      ['LXC_PROC_DOMAIN_OPEN_NAMESPACE', 'lxc', 0x00068000, 1, 1],
      ['LXC_PROC_DOMAIN_OPEN_NAMESPACE', 'lxc', 0x00068000, 1, 1],
    ]);
    // The root's descriptor (from the qemu table) and the standalone one are not the same object.
    expect(sent[0]).not.toBe(sent[1]);
  });
});

describe('a small agent bundled from libvirt-rpc/calls', () => {
  // From the sources, and from the built package (`npm test` builds dist/ first), whose minified
  // files have lost every `/*@__PURE__*/` annotation: what is dropped must be dropped without them.
  it.each([
    ['the sources', 'src/calls.ts'],
    ['the built package', 'dist/esm/calls.js'],
  ])(
    'from %s: keeps the procedures it calls and leaves out the rest, the object layer and the procedure table',
    async (_, entry) => {
      const result = await bundleAgent(`${root}bench/fixtures/calls-agent.ts`, { 'libvirt-rpc/calls': `${root}${entry}` });
      const text = result.outputFiles![0]!.text;
      const inputs = Object.values(result.metafile.outputs)[0]!.inputs;
      const bytesOf = (f: string): number => inputs[f]?.bytesInOutput ?? 0;
      console.log(`calls agent from ${entry}: ${text.length} bytes (esbuild --minify, ESM, one file)`);
      expect(text.length).toBeLessThanOrEqual(300_000);
      // The two procedures it calls, and those opening a connection needs (the control: names stay in the output).
      for (const name of ['CONNECT_LIST_ALL_DOMAINS', 'DOMAIN_GET_XML_DESC', 'CONNECT_OPEN', 'AUTH_LIST']) expect(text).toContain(`"REMOTE_PROC_${name}"`);
      for (const name of ['DOMAIN_MIGRATE_PERFORM3', 'STORAGE_VOL_UPLOAD', 'DOMAIN_GET_INFO', 'NETWORK_GET_XML_DESC', 'DOMAIN_EVENT_LIFECYCLE']) {
        expect(text).not.toContain(`"REMOTE_PROC_${name}"`);
      }
      expect(text).not.toContain('remote_domain_migrate_begin3_args');
      // Of the bulk types' straight-line codecs (remote-bulk.gen.ts, which the procedure table shares), those its procedures reach.
      expect(text).toContain('"remote_nonnull_domain"');
      for (const name of ['remote_typed_param', 'remote_domain_stats_record', 'remote_network_dhcp_lease']) expect(text).not.toContain(`"${name}"`);
      // Nothing of the qemu and lxc programs, which it does not call.
      expect(text).not.toMatch(/"(QEMU|LXC)_PROC_|qemu_domain_|lxc_domain_/);
      if (entry.startsWith('dist/')) {
        // The built package's chunks: the procedure table's is not among them.
        expect(text).not.toContain('remote_node_get_info_ret');
        // (the procedure table's module describes every type: had it come, this one would be in the bundle)
        return;
      }
      for (const f of ['src/api/gen/objects.gen.ts', 'src/api/connection.ts', 'src/api/events.ts', 'src/api/gen/raw.gen.ts', 'src/api/raw-methods.ts'])
        expect(bytesOf(f)).toBe(0);
      expect(Object.keys(inputs).filter((f) => f.startsWith('src/api/xml/') || f.startsWith('src/api/objects/'))).toEqual([]);
      // Of the procedure table's module, at most an enum object or a constant.
      expect(bytesOf('src/procedures/remote-core.gen.ts')).toBeLessThan(1_000);
      for (const f of [
        'src/procedures/qemu-core.gen.ts',
        'src/procedures/lxc-core.gen.ts',
        'src/procedures/qemu-procs.gen.ts',
        'src/procedures/lxc-procs.gen.ts',
      ])
        expect(bytesOf(f)).toBe(0);
    },
    60_000,
  );

  it.each([
    ['the sources', 'src/calls.ts'],
    ['the built package', 'dist/esm/calls.js'],
  ])(
    "from %s: an agent running a QEMU monitor command keeps that qemu procedure, not the qemu program's others nor its table",
    async (_, entry) => {
      const result = await bundleAgent(`${root}bench/fixtures/calls-qemu-agent.ts`, { 'libvirt-rpc/calls': `${root}${entry}` });
      const text = result.outputFiles![0]!.text;
      console.log(`calls qemu agent from ${entry}: ${text.length} bytes (esbuild --minify, ESM, one file)`);
      expect(text.length).toBeLessThanOrEqual(300_000);
      for (const name of ['QEMU_PROC_DOMAIN_MONITOR_COMMAND', 'REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME', 'REMOTE_PROC_CONNECT_OPEN'])
        expect(text).toContain(`"${name}"`);
      expect(text).toContain('qemu_domain_monitor_command_args');
      for (const name of [
        'QEMU_PROC_DOMAIN_AGENT_COMMAND',
        'QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES',
        'QEMU_PROC_DOMAIN_ATTACH',
        'LXC_PROC_DOMAIN_OPEN_NAMESPACE',
        'REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS',
      ])
        expect(text).not.toContain(`"${name}"`);
      // The qemu procedure table describes every qemu type: had it come, this one would be in the bundle.
      expect(text).not.toContain('qemu_domain_monitor_event_msg');
      expect(text).not.toContain('remote_node_get_info_ret');
    },
    60_000,
  );
});
