/**
 * The parse of the `.x` files matches upstream's struct layouts: the
 * `*-structs` files are pahole dumps of the C types rpcgen made from the same
 * `.x` files (upstream checks them in `make check-remote-protocol`). Every
 * struct there exists in our parse with the same fields in the same order and
 * the same C types, every struct and union of the `.x` file is there, and the
 * enums listed there have the same members and values.
 *
 * The `*-structs` format is read by the small parser below, written for it and
 * independent of codegen/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Declaration, Definition } from '../../../codegen/ast.js';
import { readApiXml } from '../../../codegen/api-xml.js';
import { apiConstants } from '../../../codegen/emit-api.js';
import { Universe, type ModuleInput } from '../../../codegen/model.js';
import { parseX } from '../../../codegen/parser.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => readFileSync(root + p, 'utf8');

// ---------------------------------------------------------------------------
// A reader for pahole's output as upstream stores it.

/** One member of a pahole struct or union, its C type normalised. */
interface PaholeField {
  readonly name: string;
  /** `int`, `remote_nonnull_string`, `char[32]`, `var<remote_typed_param>`, `T *`, or `union`. */
  readonly type: string;
  /** The members of an anonymous `union { ... } name_u;`. */
  readonly arms?: readonly PaholeField[];
}

interface PaholeFile {
  readonly structs: Map<string, PaholeField[]>;
  readonly enums: Map<string, [string, number][]>;
}

interface Frame {
  readonly kind: 'struct' | 'union' | 'enum';
  readonly name: string | null;
  readonly fields: PaholeField[];
  readonly members: [string, number][];
}

const normaliseType = (t: string): string =>
  t
    .trim()
    .replace(/\s*\*\s*$/, ' *')
    .replace(/\s+/g, ' ');

/** Parses a `*-structs` file: top-level `struct`/`enum` blocks with nested anonymous `struct`/`union`. */
function parsePahole(text: string): PaholeFile {
  const structs = new Map<string, PaholeField[]>();
  const enums = new Map<string, [string, number][]>();
  const stack: Frame[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const fail = (why: string): never => {
      throw new Error(`structs line ${index + 1}: ${why}: ${JSON.stringify(raw)}`);
    };
    if (line === '' || /^\/\*.*\*\/$/.test(line)) return;
    let m: RegExpExecArray | null;
    if ((m = /^(struct|enum) (\w+) \{$/.exec(line))) {
      if (stack.length) fail('named block inside a block');
      stack.push({ kind: m[1] as 'struct' | 'enum', name: m[2], fields: [], members: [] });
      return;
    }
    if ((m = /^(struct|union) \{$/.exec(line))) {
      if (!stack.length) fail('anonymous block at top level');
      stack.push({ kind: m[1] as 'struct' | 'union', name: null, fields: [], members: [] });
      return;
    }
    if (line === '};') {
      const top = stack.pop() ?? fail('unbalanced }');
      if (stack.length || top.name === null) fail('top-level }; closes a nested block');
      if (top.kind === 'enum') enums.set(top.name!, top.members);
      else structs.set(top.name!, top.fields);
      return;
    }
    if ((m = /^\} (\w+);$/.exec(line))) {
      const inner = stack.pop() ?? fail('unbalanced }');
      const outer = stack[stack.length - 1] ?? fail('nested block without a parent');
      if (inner.kind === 'union') {
        outer.fields.push({ name: m[1], type: 'union', arms: inner.fields });
      } else {
        // rpcgen's variable-length array: struct { u_int x_len; T *x_val; } x;
        const [len, val] = inner.fields;
        if (inner.fields.length !== 2 || len.name !== `${m[1]}_len` || len.type !== 'u_int') fail('not a _len/_val pair');
        if (val.name !== `${m[1]}_val` || !val.type.endsWith(' *')) fail('not a _len/_val pair');
        outer.fields.push({ name: m[1], type: `var<${val.type.slice(0, -2)}>` });
      }
      return;
    }
    const top = stack[stack.length - 1] ?? fail('member outside a block');
    if (top.kind === 'enum') {
      if (!(m = /^(\w+) = (-?\d+),$/.exec(line))) fail('not an enum member');
      top.members.push([m![1], Number(m![2])]);
      return;
    }
    if (!(m = /^(.*?\S)\s*\b(\w+)(?:\[(\d+)\])?;$/.exec(line))) fail('not a member');
    const type = normaliseType(m![1]);
    top.fields.push({ name: m![2], type: m![3] === undefined ? type : `${type}[${m![3]}]` });
  });
  if (stack.length) throw new Error('structs file ends inside a block');
  return { structs, enums };
}

// ---------------------------------------------------------------------------
// The same view of our parse.

const C_TYPE: Record<string, string> = {
  int: 'int',
  'unsigned int': 'u_int',
  hyper: 'int64_t',
  'unsigned hyper': 'uint64_t',
  char: 'char',
  'unsigned char': 'u_char',
  short: 'short',
  'unsigned short': 'u_short',
  bool: 'bool_t',
  float: 'float',
  double: 'double',
  opaque: 'char',
  string: 'char',
};

function fieldOf(u: Universe, d: Declaration): PaholeField {
  const base = d.type.kind === 'primitive' ? C_TYPE[d.type.name] : d.type.name;
  const isString = d.type.kind === 'primitive' && d.type.name === 'string';
  let type: string;
  if (isString) type = 'char *';
  else if (d.optional) type = `${base} *`;
  else if (d.array.kind === 'fixed') type = `${base}[${u.value(d.array.size)}]`;
  else if (d.array.kind === 'variable') type = `var<${base}>`;
  else type = base;
  return { name: d.name, type };
}

/** A struct's fields, or a union as rpcgen lays it out: the discriminant, then `<name>_u` with the non-void arms. */
function layoutOf(u: Universe, def: Extract<Definition, { kind: 'struct' | 'union' }>): PaholeField[] {
  if (def.kind === 'struct') return def.fields.map((f) => fieldOf(u, f));
  const arms = [...def.arms.map((a) => a.decl), def.defaultArm ?? null].filter((d): d is Declaration => d !== null);
  return [fieldOf(u, def.discriminant), { name: `${def.name}_u`, type: 'union', arms: arms.map((d) => fieldOf(u, d)) }];
}

const modules: { id: string; x: string; structs: string }[] = [
  { id: 'virnet', x: 'virnetprotocol.x', structs: 'virnetprotocol-structs' },
  { id: 'keepalive', x: 'virkeepaliveprotocol.x', structs: 'virkeepaliveprotocol-structs' },
  { id: 'remote', x: 'remote_protocol.x', structs: 'remote_protocol-structs' },
  { id: 'qemu', x: 'qemu_protocol.x', structs: 'qemu_protocol-structs' },
  { id: 'lxc', x: 'lxc_protocol.x', structs: 'lxc_protocol-structs' },
  { id: 'admin', x: 'admin_protocol.x', structs: 'admin_protocol-structs' },
];

const inputs: ModuleInput[] = modules.map((m) => ({
  id: m.id,
  path: `protocol/${m.x}`,
  parsed: parseX(`protocol/${m.x}`, read(`protocol/${m.x}`)),
}));
const api = readApiXml(['libvirt-api.xml', 'libvirt-qemu-api.xml', 'libvirt-lxc-api.xml', 'libvirt-admin-api.xml'].map((f) => read(`protocol/api-xml/${f}`)));
const universe = new Universe(inputs, apiConstants(api));

/** Every struct/union of every module, by name, with the module that defines it. */
const xLayouts = new Map<string, { module: string; fields: PaholeField[] }>();
const xEnums = new Map<string, { module: string; members: [string, number][] }>();
for (const m of inputs) {
  for (const def of m.parsed.definitions) {
    if (def.kind === 'struct' || def.kind === 'union') xLayouts.set(def.name, { module: m.id, fields: layoutOf(universe, def) });
    if (def.kind === 'enum') {
      xEnums.set(def.name, { module: m.id, members: def.members.map((e) => [e.name, universe.value(e.value)]) });
    }
  }
}

// ---------------------------------------------------------------------------

describe('the pahole reader', () => {
  it('reads structs, enums, fixed arrays, var arrays and unions', () => {
    const p = parsePahole(`/* -*- c -*- */
enum e {
        A = 0,
        B = -2,
};
struct s {
        u_int                      prog;
        char                       model[32];
        remote_string              dname;
        struct {
                u_int              params_len;
                remote_typed_param * params_val;
        } params;
        int                        type;
        union {
                int                i;
                remote_nonnull_string s;
        } s_u;
};`);
    expect(p.enums.get('e')).toEqual([
      ['A', 0],
      ['B', -2],
    ]);
    expect(p.structs.get('s')).toEqual([
      { name: 'prog', type: 'u_int' },
      { name: 'model', type: 'char[32]' },
      { name: 'dname', type: 'remote_string' },
      { name: 'params', type: 'var<remote_typed_param>' },
      { name: 'type', type: 'int' },
      {
        name: 's_u',
        type: 'union',
        arms: [
          { name: 'i', type: 'int' },
          { name: 's', type: 'remote_nonnull_string' },
        ],
      },
    ]);
  });

  it('rejects what it does not understand', () => {
    expect(() => parsePahole('struct s {\n  int a\n};')).toThrow(/line 2/);
    expect(() => parsePahole('struct s {\n  int a;\n')).toThrow(/ends inside/);
  });
});

describe.each(modules)('$structs against $x', ({ id, structs }) => {
  const pahole = parsePahole(read(`test/fixtures/upstream/structs/${structs}`));

  it('lists at least one struct or enum', () => {
    expect(pahole.structs.size + pahole.enums.size).toBeGreaterThan(0);
  });

  it('every struct there exists in the parse, with the same fields, in the same order, of the same C types', () => {
    const mismatches: string[] = [];
    for (const [name, fields] of pahole.structs) {
      const ours = xLayouts.get(name);
      if (!ours) mismatches.push(`${name}: not in the .x files`);
      else if (JSON.stringify(ours.fields) !== JSON.stringify(fields)) {
        mismatches.push(`${name}:\n  structs: ${JSON.stringify(fields)}\n  .x:      ${JSON.stringify(ours.fields)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('every struct and union the .x file defines is there', () => {
    const ours = [...xLayouts].filter(([, v]) => v.module === id).map(([k]) => k);
    // virkeepaliveprotocol.x defines no struct (its PING and PONG carry no data).
    expect(ours.length > 0 || id === 'keepalive').toBe(true);
    expect(ours.filter((name) => !pahole.structs.has(name))).toEqual([]);
  });

  it('lists the structs in the order the .x file defines them', () => {
    const ours = [...xLayouts].filter(([, v]) => v.module === id).map(([k]) => k);
    expect([...pahole.structs.keys()].filter((k) => xLayouts.get(k)?.module === id)).toEqual(ours);
  });

  it('every enum there has the same members and values as the parse, and every .x enum is there', () => {
    for (const [name, members] of pahole.enums) {
      expect(xEnums.get(name)?.members, name).toEqual(members);
    }
    const ours = [...xEnums].filter(([, v]) => v.module === id).map(([k]) => k);
    expect(ours.filter((name) => !pahole.enums.has(name))).toEqual([]);
  });
});

describe('spot checks', () => {
  const remote = parsePahole(read('test/fixtures/upstream/structs/remote_protocol-structs'));
  it('remote_typed_param_value is a union with seven arms after its int discriminant', () => {
    const v = remote.structs.get('remote_typed_param_value')!;
    expect(v[0]).toEqual({ name: 'type', type: 'int' });
    expect(v[1].arms?.map((a) => a.name)).toEqual(['i', 'ui', 'l', 'ul', 'd', 'b', 's']);
  });

  it('remote_procedure has 453 members numbered 1..453', () => {
    const procs = remote.enums.get('remote_procedure')!;
    expect(procs).toHaveLength(453);
    expect(procs.map(([, v]) => v)).toEqual(Array.from({ length: 453 }, (_, i) => i + 1));
  });

  it('the struct count of each file matches the .x files', () => {
    const total = modules.reduce((n, m) => n + [...xLayouts.values()].filter((v) => v.module === m.id).length, 0);
    expect(total).toBe(xLayouts.size);
    expect(remote.structs.size).toBe([...xLayouts.values()].filter((v) => v.module === 'remote').length);
  });
});
