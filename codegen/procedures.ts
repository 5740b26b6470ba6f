/**
 * Builds the procedure tables: for each program's `*_procedure` enum, every
 * member with its annotations, its args/ret/msg structs (found by libvirt's
 * naming rule, as upstream's gendispatch.pl does) and its public C API name.
 */
import type { Definition, EnumMember } from './ast.js';
import type { ApiFunction } from './api-xml.js';
import { camelCase, lowerCamel, type Universe } from './model.js';

/**
 * Procedures that pass file descriptors (CALL_WITH_FDS / REPLY_WITH_FDS). The
 * `.x` files do not mark them: libvirt's remote driver sends these through
 * its fd-passing call path (src/remote/remote_driver.c, `callFull` with fds).
 */
export const FD_PASSING_PROCEDURES: ReadonlySet<string> = new Set([
  'REMOTE_PROC_DOMAIN_OPEN_GRAPHICS',
  'REMOTE_PROC_DOMAIN_OPEN_GRAPHICS_FD',
  'REMOTE_PROC_DOMAIN_CREATE_XML_WITH_FILES',
  'REMOTE_PROC_DOMAIN_CREATE_WITH_FILES',
  'REMOTE_PROC_DOMAIN_FD_ASSOCIATE',
  'QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES',
  'LXC_PROC_DOMAIN_OPEN_NAMESPACE',
]);

/**
 * Streams the `.x` annotations do not declare. REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3_PARAMS
 * is `@generate: none` and carries no `@writestream`, but libvirt's remote driver opens an
 * upload stream for it as for PREPARE_TUNNEL3 (remoteDomainMigratePrepareTunnel3Params).
 */
export const STREAM_OVERRIDES: Readonly<Record<string, 'read' | 'write'>> = {
  REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3_PARAMS: 'write',
};

/** One procedure, resolved. */
export interface ProcedureModel {
  readonly program: string;
  readonly member: EnumMember;
  readonly number: number;
  readonly args: Extract<Definition, { kind: 'struct' }> | null;
  readonly ret: Extract<Definition, { kind: 'struct' }> | null;
  readonly event: boolean;
  readonly api: ApiFunction | null;
  readonly method: string;
  readonly stream: 'read' | 'write' | null;
  readonly sparse: boolean;
  readonly priority: 'high' | 'low';
  readonly generate: string | null;
  readonly acl: string[];
  readonly fds: boolean;
}

/** One program: its procedures and the names of its program and version constants. */
export interface ProgramModel {
  readonly name: string;
  readonly module: string;
  readonly programConst: string;
  readonly versionConst: string | null;
  readonly enumName: string;
  readonly procedures: ProcedureModel[];
}

/** Reads the `@name: value` annotations of a procedure's comment. */
export function annotations(comment: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of (comment ?? '').matchAll(/@([a-z]+):\s*([^\n*]*?)\s*(?=\n|\*\/|$)/g)) {
    const list = out.get(m[1]) ?? [];
    list.push(m[2]);
    out.set(m[1], list);
  }
  return out;
}

const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

/**
 * Matches a procedure to its public API: `REMOTE_PROC_DOMAIN_GET_XML_DESC` is
 * `virDomainGetXMLDesc`, `QEMU_PROC_DOMAIN_MONITOR_COMMAND` is
 * `virDomainQemuMonitorCommand`, `ADMIN_PROC_CONNECT_OPEN` is `virAdmConnectOpen`.
 */
function apiIndex(program: string, functions: readonly ApiFunction[]): Map<string, ApiFunction> {
  const index = new Map<string, ApiFunction>();
  for (const f of functions) {
    let key: string | null = null;
    if (program === 'admin') {
      if (f.name.startsWith('virAdm')) key = norm(f.name.slice(6));
    } else if (f.name.startsWith('vir') && !f.name.startsWith('virAdm')) {
      const body = f.name.slice(3);
      if (program === 'remote') key = norm(body);
      else {
        const tag = program === 'qemu' ? 'Qemu' : 'Lxc';
        if (body.includes(tag)) key = norm(body.replace(tag, ''));
      }
    }
    if (key !== null && !index.has(key)) index.set(key, f);
  }
  return index;
}

/** Finds every program in a universe and resolves its procedures. */
export function buildPrograms(universe: Universe, functions: readonly ApiFunction[]): ProgramModel[] {
  const programs: ProgramModel[] = [];
  for (const mod of universe.modules) {
    for (const def of mod.parsed.definitions) {
      if (def.kind !== 'enum' || !def.name.endsWith('_procedure')) continue;
      const prefix = def.name.slice(0, -'_procedure'.length);
      const PREFIX = prefix.toUpperCase();
      const versionConst = universe.find(`${PREFIX}_PROTOCOL_VERSION`) ? `${PREFIX}_PROTOCOL_VERSION` : null;
      const index = apiIndex(prefix, functions);
      const procedures: ProcedureModel[] = def.members.map((member) => {
        const procPrefix = `${PREFIX}_PROC_`;
        if (!member.name.startsWith(procPrefix)) throw new Error(`${member.name} does not start with ${procPrefix}`);
        const tail = member.name.slice(procPrefix.length);
        const base = `${prefix}_${tail.toLowerCase()}`;
        const struct = (suffix: string): Extract<Definition, { kind: 'struct' }> | null => {
          const d = universe.find(`${base}_${suffix}`)?.def;
          return d?.kind === 'struct' ? d : null;
        };
        const msg = struct('msg');
        const notes = annotations(member.comment);
        const api = msg ? null : (index.get(norm(tail)) ?? null);
        const stream = STREAM_OVERRIDES[member.name] ?? (notes.has('readstream') ? 'read' : notes.has('writestream') ? 'write' : null);
        const apiMethod = api ? api.name.replace(/^vir(Adm)?/, '') : null;
        let method = apiMethod ? lowerCamel(apiMethod) : camelCase(tail.toLowerCase());
        if (!apiMethod && (prefix === 'qemu' || prefix === 'lxc')) method = camelCase(`${prefix}_${tail.toLowerCase()}`);
        return {
          program: prefix,
          member,
          number: universe.value(member.value),
          args: msg ?? struct('args'),
          ret: struct('ret'),
          event: msg !== null,
          api,
          method,
          stream,
          sparse: notes.has('sparseflag'),
          priority: notes.get('priority')?.[0] === 'high' ? 'high' : 'low',
          generate: notes.get('generate')?.[0] ?? null,
          acl: notes.get('acl') ?? [],
          fds: FD_PASSING_PROCEDURES.has(member.name),
        };
      });
      programs.push({
        name: prefix,
        module: mod.id,
        programConst: `${PREFIX}_PROGRAM`,
        versionConst,
        enumName: def.name,
        procedures,
      });
    }
  }
  return programs;
}
