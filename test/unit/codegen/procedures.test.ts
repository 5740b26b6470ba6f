/**
 * The generated procedure tables against independent sources: a plain regex
 * scan of the `.x` files (not codegen/), the systemtap tapset upstream builds
 * from the same files (`libvirt_functions-11.3.0.stp`), and the API XML.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FD_PASSING_PROCEDURES, STREAM_OVERRIDES } from '../../../codegen/procedures.js';
import { procedures } from '../../../src/procedures/index.gen.js';
import { remoteProcedures, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION } from '../../../src/procedures/remote.gen.js';
import { qemuProcedures, QEMU_PROGRAM } from '../../../src/procedures/qemu.gen.js';
import { lxcProcedures, LXC_PROGRAM } from '../../../src/procedures/lxc.gen.js';
import { adminProcedures, ADMIN_PROGRAM } from '../../../src/procedures/admin.gen.js';
import { keepaliveProcedures, KEEPALIVE_PROGRAM } from '../../../src/procedures/keepalive.gen.js';
import { RawApi } from '../../../src/api/gen/raw.gen.js';
import { AdminRawApi } from '../../../src/api/gen/admin-raw.gen.js';
import * as api from '../../../src/procedures/libvirt-api.gen.js';
import type { ProcedureInfo, ProgramName } from '../../../src/rpc/procedure.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => readFileSync(root + p, 'utf8');

// ---------------------------------------------------------------------------
// Independent scan of the .x files: the `<prefix>_procedure` enum, each member
// with the comment block right before it.

interface ScannedProcedure {
  readonly name: string;
  readonly number: number;
  readonly comment: string;
}

function scanProcedures(file: string, prefix: string): ScannedProcedure[] {
  const text = read(`protocol/${file}`);
  const body = new RegExp(`enum ${prefix}_procedure \\{([\\s\\S]*?)\\n\\};`).exec(text)?.[1];
  if (!body) throw new Error(`${file}: no ${prefix}_procedure enum`);
  const out: ScannedProcedure[] = [];
  let last = 0;
  for (const m of body.matchAll(/\b([A-Z]+_PROC_[A-Z0-9_]+)\s*=\s*(\d+)/g)) {
    const before = body.slice(last, m.index);
    const comments = before.match(/\/\*[\s\S]*?\*\//g) ?? [];
    out.push({ name: m[1], number: Number(m[2]), comment: comments[comments.length - 1] ?? '' });
    last = m.index! + m[0].length;
  }
  return out;
}

const PROGRAMS: { name: ProgramName; file: string; table: Record<string, ProcedureInfo>; count: number }[] = [
  { name: 'remote', file: 'remote_protocol.x', table: remoteProcedures, count: 453 },
  { name: 'qemu', file: 'qemu_protocol.x', table: qemuProcedures, count: 7 },
  { name: 'lxc', file: 'lxc_protocol.x', table: lxcProcedures, count: 1 },
  { name: 'admin', file: 'admin_protocol.x', table: adminProcedures, count: 20 },
  { name: 'keepalive', file: 'virkeepaliveprotocol.x', table: keepaliveProcedures, count: 2 },
];
const scanned = new Map(PROGRAMS.map((p) => [p.name, scanProcedures(p.file, p.name)]));
const all = (): ProcedureInfo[] => PROGRAMS.flatMap((p) => Object.values(p.table));

/** `@name: value` lines of a comment block. */
function notes(comment: string, key: string): string[] {
  return [...comment.matchAll(new RegExp(`@${key}:\\s*(\\S+)`, 'g'))].map((m) => m[1]);
}

// ---------------------------------------------------------------------------
// The systemtap tapset: program number → name, and per program, number → name.

function parseTapset(text: string): { programs: Map<number, string>; procs: Map<number, Map<number, string>> } {
  const programs = new Map<number, string>();
  const fn = (name: string): string => {
    const start = text.indexOf(`function ${name}(`);
    const end = text.indexOf('\nfunction ', start + 1);
    return text.slice(start, end < 0 ? undefined : end);
  };
  for (const m of fn('libvirt_rpc_program_name').matchAll(/program == (\d+)\) \{\s*programstr = "(\w+)"/g)) {
    programs.set(Number(m[1]), m[2]);
  }
  const procs = new Map<number, Map<number, string>>();
  const body = fn('libvirt_rpc_procedure_name');
  const blocks = [...body.matchAll(/program == (\d+) && version == 1\) \{/g)];
  blocks.forEach((b, i) => {
    const chunk = body.slice(b.index, blocks[i + 1]?.index);
    const map = new Map<number, string>();
    for (const m of chunk.matchAll(/proc == (\d+)\) \{\s*procstr = "(\w+)"/g)) map.set(Number(m[1]), m[2]);
    procs.set(Number(b[1]), map);
  });
  return { programs, procs };
}
const tapset = parseTapset(read('test/fixtures/upstream/structs/libvirt_functions-11.3.0.stp'));

// ---------------------------------------------------------------------------

describe('procedure counts and numbering', () => {
  it.each(PROGRAMS)('$name: $count procedures in the table, the index and the .x file', ({ name, table, count }) => {
    expect(Object.keys(table)).toHaveLength(count);
    expect(Object.keys(procedures[name])).toHaveLength(count);
    expect(scanned.get(name)).toHaveLength(count);
  });

  it.each(PROGRAMS)('$name: numbered 1..$count with no gaps', ({ name, table, count }) => {
    const numbers = Object.values(table)
      .map((p) => p.number)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    for (let n = 1; n <= count; n++) expect(procedures[name][n].number).toBe(n);
  });

  it.each(PROGRAMS)('$name: every name and number matches the .x file', ({ name, table }) => {
    const fromX = scanned.get(name)!.map((s) => [s.name, s.number]);
    const fromTable = Object.entries(table).map(([key, p]) => {
      expect(p.name).toBe(key);
      expect(p.program).toBe(name);
      return [p.name, p.number];
    });
    expect(fromTable).toEqual(fromX);
  });

  it('the index has exactly the five programs', () => {
    expect(Object.keys(procedures).sort()).toEqual(['admin', 'keepalive', 'lxc', 'qemu', 'remote']);
    expect(procedures.remote[14].name).toBe('REMOTE_PROC_DOMAIN_GET_XML_DESC');
    expect(Object.isFrozen(procedures)).toBe(true);
  });
});

describe('program numbers and versions', () => {
  it('are the .x constants', () => {
    expect(REMOTE_PROGRAM).toBe(0x20008086);
    expect(QEMU_PROGRAM).toBe(0x20008087);
    expect(LXC_PROGRAM).toBe(0x00068000);
    expect(ADMIN_PROGRAM).toBe(0x06900690);
    expect(KEEPALIVE_PROGRAM).toBe(0x6b656570); // "keep"
    expect(REMOTE_PROTOCOL_VERSION).toBe(1);
  });

  it.each(PROGRAMS)('$name: every procedure carries its program number and version 1', ({ name, table }) => {
    const expected = { remote: REMOTE_PROGRAM, qemu: QEMU_PROGRAM, lxc: LXC_PROGRAM, admin: ADMIN_PROGRAM, keepalive: KEEPALIVE_PROGRAM }[name];
    for (const p of Object.values(table)) {
      expect(p.programNumber).toBe(expected);
      expect(p.version).toBe(1);
    }
  });

  it('match the systemtap tapset', () => {
    expect(tapset.programs.get(REMOTE_PROGRAM)).toBe('remote');
    expect(tapset.programs.get(QEMU_PROGRAM)).toBe('qemu');
    expect(tapset.programs.get(LXC_PROGRAM)).toBe('lxc');
    expect(tapset.programs.get(ADMIN_PROGRAM)).toBe('admin');
    expect(tapset.programs.get(KEEPALIVE_PROGRAM)).toBe('keepalive');
  });
});

describe('against the systemtap tapset (libvirt_functions-11.3.0.stp)', () => {
  it('lists the programs we ship plus lxc_monitor and lock_space, which are internal', () => {
    expect([...tapset.programs.values()].sort()).toEqual(['admin', 'keepalive', 'lock_space', 'lxc', 'lxc_monitor', 'qemu', 'remote']);
  });

  it.each(PROGRAMS)('$name: every number → name pair is the same', ({ name, table }) => {
    const number = Object.values(table)[0].programNumber;
    const stp = tapset.procs.get(number)!;
    expect(stp).toBeDefined();
    const prefix = `${name.toUpperCase()}_PROC_`;
    const ours = new Map(Object.values(table).map((p) => [p.number, p.name.slice(prefix.length).toLowerCase()]));
    expect([...ours].sort((a, b) => a[0] - b[0])).toEqual([...stp].sort((a, b) => a[0] - b[0]));
  });
});

describe('events', () => {
  it('53 remote procedures are events: exactly those with a _msg struct in the .x file', () => {
    const msgStructs = [...read('protocol/remote_protocol.x').matchAll(/^struct remote_(\w+)_msg \{/gm)].map((m) => m[1]);
    expect(msgStructs).toHaveLength(53);
    const events = Object.values(remoteProcedures).filter((p) => p.event);
    expect(events).toHaveLength(53);
    expect(events.map((p) => p.name.slice('REMOTE_PROC_'.length).toLowerCase()).sort()).toEqual(msgStructs.sort());
    for (const e of events) {
      expect(e.api).toBeNull();
      expect(e.args).not.toBeNull(); // the _msg codec
      expect(e.args!.name).toMatch(/_msg$/);
      expect(e.ret).toBeNull();
    }
  });

  it('qemu has one event (QEMU_PROC_DOMAIN_MONITOR_EVENT); lxc, admin and keepalive have none', () => {
    expect(
      Object.values(qemuProcedures)
        .filter((p) => p.event)
        .map((p) => p.name),
    ).toEqual(['QEMU_PROC_DOMAIN_MONITOR_EVENT']);
    for (const t of [lxcProcedures, adminProcedures, keepaliveProcedures]) {
      expect(Object.values(t).filter((p) => p.event)).toEqual([]);
    }
  });

  it('REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE uses remote_domain_event_lifecycle_msg', () => {
    const p = remoteProcedures.REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE;
    expect(p.event).toBe(true);
    expect(p.args?.name).toBe('remote_domain_event_lifecycle_msg');
  });
});

describe('public API names', () => {
  const apiFunctions = new Set(
    ['libvirt-api.xml', 'libvirt-qemu-api.xml', 'libvirt-lxc-api.xml', 'libvirt-admin-api.xml'].flatMap((f) =>
      [...read(`protocol/api-xml/${f}`).matchAll(/<function name='(\w+)'/g)].map((m) => m[1]),
    ),
  );

  it.each([
    ['REMOTE_PROC_DOMAIN_GET_XML_DESC', remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC, 'virDomainGetXMLDesc'],
    ['REMOTE_PROC_NODE_GET_CPU_MAP', remoteProcedures.REMOTE_PROC_NODE_GET_CPU_MAP, 'virNodeGetCPUMap'],
    ['REMOTE_PROC_DOMAIN_INJECT_NMI', remoteProcedures.REMOTE_PROC_DOMAIN_INJECT_NMI, 'virDomainInjectNMI'],
    ['REMOTE_PROC_CONNECT_GET_URI', remoteProcedures.REMOTE_PROC_CONNECT_GET_URI, 'virConnectGetURI'],
    ['REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID', remoteProcedures.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, 'virDomainLookupByUUID'],
    ['QEMU_PROC_DOMAIN_MONITOR_COMMAND', qemuProcedures.QEMU_PROC_DOMAIN_MONITOR_COMMAND, 'virDomainQemuMonitorCommand'],
    [
      'QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER',
      qemuProcedures.QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER,
      'virConnectDomainQemuMonitorEventRegister',
    ],
    ['ADMIN_PROC_CONNECT_OPEN', adminProcedures.ADMIN_PROC_CONNECT_OPEN, 'virAdmConnectOpen'],
    ['ADMIN_PROC_SERVER_UPDATE_TLS_FILES', adminProcedures.ADMIN_PROC_SERVER_UPDATE_TLS_FILES, 'virAdmServerUpdateTlsFiles'],
    ['LXC_PROC_DOMAIN_OPEN_NAMESPACE', lxcProcedures.LXC_PROC_DOMAIN_OPEN_NAMESPACE, 'virDomainLxcOpenNamespace'],
  ])('%s → %s', (_, p, name) => {
    expect(p.api).toBe(name);
  });

  it('every api name exists in the API XML, and belongs to the procedure', () => {
    for (const p of all()) {
      if (p.api === null) continue;
      expect(apiFunctions.has(p.api), p.api).toBe(true);
      const bare = p.api
        .replace(/^vir(Adm)?/, '')
        .replace(/Qemu|Lxc/, '')
        .toLowerCase();
      expect(bare, p.name).toBe(
        p.name
          .replace(/^[A-Z]+_PROC_/, '')
          .replace(/_/g, '')
          .toLowerCase(),
      );
    }
  });

  it('the procedures without a public API are the wire-only ones', () => {
    const without = Object.values(remoteProcedures)
      .filter((p) => !p.event && p.api === null)
      .map((p) => p.name);
    for (const n of without) expect(n).toMatch(/^REMOTE_PROC_(AUTH_|DOMAIN_MIGRATE_|CONNECT_SUPPORTS_FEATURE|CONNECT_DOMAIN_EVENT_CALLBACK_)/);
    expect(remoteProcedures.REMOTE_PROC_CONNECT_OPEN.api).toBe('virConnectOpen');
    expect(keepaliveProcedures.KEEPALIVE_PROC_PING.api).toBeNull();
  });
});

describe('annotations', () => {
  it.each(PROGRAMS)('$name: stream, sparse, priority, generate and acl equal an independent scan of the comments', ({ name, table }) => {
    for (const s of scanned.get(name)!) {
      const p = table[s.name];
      const annotated = notes(s.comment, 'readstream').length ? 'read' : notes(s.comment, 'writestream').length ? 'write' : null;
      expect(p.stream, s.name).toBe(STREAM_OVERRIDES[s.name] ?? annotated);
      expect(p.sparse, s.name).toBe(notes(s.comment, 'sparseflag').length > 0);
      expect(p.priority, s.name).toBe(notes(s.comment, 'priority')[0] === 'high' ? 'high' : 'low');
      expect(p.generate, s.name).toBe(notes(s.comment, 'generate')[0] ?? null);
      expect([...p.acl], s.name).toEqual(notes(s.comment, 'acl'));
    }
  });

  it('storage volume download reads a sparse stream; upload writes one', () => {
    expect(remoteProcedures.REMOTE_PROC_STORAGE_VOL_DOWNLOAD).toMatchObject({ stream: 'read', sparse: true });
    expect(remoteProcedures.REMOTE_PROC_STORAGE_VOL_UPLOAD).toMatchObject({ stream: 'write', sparse: true });
  });

  it('console, channel and screenshot open non-sparse read streams (as annotated; console data flows both ways)', () => {
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_OPEN_CONSOLE).toMatchObject({ stream: 'read', sparse: false });
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_OPEN_CHANNEL).toMatchObject({ stream: 'read', sparse: false });
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_SCREENSHOT).toMatchObject({ stream: 'read', sparse: false });
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC.stream).toBeNull();
  });

  it('lists the streaming procedures', () => {
    const streams = all()
      .filter((p) => p.stream)
      .map((p) => `${p.name}:${p.stream}`)
      .sort();
    expect(streams).toEqual([
      // PREPARE_TUNNEL3_PARAMS has no @writestream in the `.x` file (@generate: none);
      // codegen's STREAM_OVERRIDES adds the upload stream libvirt's driver opens for it.
      'REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3:write',
      'REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3_PARAMS:write',
      'REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL:write',
      'REMOTE_PROC_DOMAIN_OPEN_CHANNEL:read',
      'REMOTE_PROC_DOMAIN_OPEN_CONSOLE:read',
      'REMOTE_PROC_DOMAIN_SCREENSHOT:read',
      'REMOTE_PROC_STORAGE_VOL_DOWNLOAD:read',
      'REMOTE_PROC_STORAGE_VOL_UPLOAD:write',
    ]);
  });

  it('priority: 187 remote and 2 qemu procedures are high, as annotated', () => {
    expect(Object.values(remoteProcedures).filter((p) => p.priority === 'high')).toHaveLength(187);
    expect(Object.values(qemuProcedures).filter((p) => p.priority === 'high')).toHaveLength(2);
    expect(remoteProcedures.REMOTE_PROC_CONNECT_OPEN.priority).toBe('high');
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME.priority).toBe('high');
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC.priority).toBe('low');
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_CREATE.priority).toBe('low');
  });
});

describe('file descriptor passing', () => {
  // libvirt's remote driver sends these through callFull() with fdin and/or fdout
  // (src/remote/remote_driver.c); no other procedure carries fds.
  const SEVEN = [
    'LXC_PROC_DOMAIN_OPEN_NAMESPACE', // fdout: the namespace fds
    'QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES', // fdin and fdout
    'REMOTE_PROC_DOMAIN_CREATE_WITH_FILES', // fdin
    'REMOTE_PROC_DOMAIN_CREATE_XML_WITH_FILES', // fdin
    'REMOTE_PROC_DOMAIN_FD_ASSOCIATE', // fdin
    'REMOTE_PROC_DOMAIN_OPEN_GRAPHICS', // fdin: the client's socket
    'REMOTE_PROC_DOMAIN_OPEN_GRAPHICS_FD', // fdout: a socket from the daemon
  ];

  it('exactly seven procedures pass fds, in codegen and in the tables', () => {
    expect([...FD_PASSING_PROCEDURES].sort()).toEqual(SEVEN);
    expect(
      all()
        .filter((p) => p.fds)
        .map((p) => p.name)
        .sort(),
    ).toEqual(SEVEN);
  });

  it('every fd-passing name is a real procedure', () => {
    const names = new Set(all().map((p) => p.name));
    for (const n of FD_PASSING_PROCEDURES) expect(names.has(n), n).toBe(true);
  });
});

describe('raw method names', () => {
  it('are unique across remote, qemu and lxc (one RawApi class), and within admin', () => {
    const rawCallable = [remoteProcedures, qemuProcedures, lxcProcedures].flatMap((t) => Object.values(t)).filter((p) => !p.event);
    const methods = rawCallable.map((p) => p.method);
    expect(new Set(methods).size).toBe(methods.length);
    const admin = Object.values(adminProcedures).map((p) => p.method);
    expect(new Set(admin).size).toBe(admin.length);
  });

  it('every callable procedure has its method on the raw class, and events have none', () => {
    const raw = RawApi.prototype as unknown as Record<string, unknown>;
    for (const p of [remoteProcedures, qemuProcedures, lxcProcedures].flatMap((t) => Object.values(t))) {
      if (!p.event) expect(typeof raw[p.method], p.name).toBe('function');
    }
    const rawMethods = Object.getOwnPropertyNames(RawApi.prototype).filter((n) => n !== 'constructor');
    expect(rawMethods).toHaveLength(453 - 53 + 7 - 1 + 1);
    const adm = AdminRawApi.prototype as unknown as Record<string, unknown>;
    for (const p of Object.values(adminProcedures)) expect(typeof adm[p.method], p.name).toBe('function');
  });

  it('follow the API name, or the .x name when there is none', () => {
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC.method).toBe('domainGetXMLDesc');
    expect(remoteProcedures.REMOTE_PROC_AUTH_LIST.method).toBe('authList');
    expect(qemuProcedures.QEMU_PROC_DOMAIN_MONITOR_COMMAND.method).toBe('domainQemuMonitorCommand');
    expect(lxcProcedures.LXC_PROC_DOMAIN_OPEN_NAMESPACE.method).toBe('domainLxcOpenNamespace');
    expect(adminProcedures.ADMIN_PROC_CONNECT_OPEN.method).toBe('connectOpen');
  });
});

describe('codecs of the tables', () => {
  it('args and ret codecs follow libvirt’s naming rule', () => {
    for (const p of Object.values(remoteProcedures)) {
      const base = `remote_${p.name.slice('REMOTE_PROC_'.length).toLowerCase()}`;
      if (p.args) expect(p.args.name, p.name).toBe(`${base}_${p.event ? 'msg' : 'args'}`);
      if (p.ret) expect(p.ret.name, p.name).toBe(`${base}_ret`);
    }
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC.args?.name).toBe('remote_domain_get_xml_desc_args');
    expect(remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC.ret?.name).toBe('remote_domain_get_xml_desc_ret');
    expect(remoteProcedures.REMOTE_PROC_CONNECT_CLOSE.args).toBeNull();
    expect(remoteProcedures.REMOTE_PROC_CONNECT_CLOSE.ret).toBeNull();
  });

  it('entries are frozen', () => {
    expect(Object.isFrozen(remoteProcedures.REMOTE_PROC_CONNECT_OPEN)).toBe(true);
  });
});

describe('libvirt-api.gen.ts', () => {
  it('exports the public constants with their values', () => {
    expect(api.VIR_DOMAIN_RUNNING).toBe(1);
    expect(api.VIR_ERR_NO_DOMAIN).toBe(42);
    expect(api.VIR_UUID_BUFLEN).toBe(16);
    expect(api.VIR_SECURITY_LABEL_BUFLEN).toBe(4097); // raw '(4096 + 1)'
    expect(api.VIR_TYPED_PARAM_STRING).toBe(7);
  });

  it('exports virErrorNumber and virDomainState by name', () => {
    expect(api.virErrorNumber.VIR_ERR_NO_DOMAIN).toBe(42);
    expect(api.virErrorNumber.VIR_ERR_OK).toBe(0);
    expect(api.virDomainState.VIR_DOMAIN_RUNNING).toBe(1);
    const byCode = new Map(Object.entries(api.virErrorNumber).map(([k, v]) => [v, k]));
    expect(byCode.get(42)).toBe('VIR_ERR_NO_DOMAIN');
    expect(Object.keys(api.virErrorNumber).length).toBeGreaterThan(100);
    expect(Object.keys(api.virErrorNumber).every((k) => k.startsWith('VIR_ERR_') || k.startsWith('VIR_WAR_'))).toBe(true);
  });

  it('virErrorNumber has every VIR_ERR_ enum value of the API XML', () => {
    const xml = read('protocol/api-xml/libvirt-api.xml');
    const fromXml = [...xml.matchAll(/<enum name='(\w+)' [^>]*?value='(-?\d+)'[^>]*? type='virErrorNumber'/g)].map((m) => [m[1], Number(m[2])]);
    expect(fromXml.length).toBeGreaterThan(100);
    expect(Object.entries(api.virErrorNumber).sort()).toEqual(fromXml.sort());
  });
});
