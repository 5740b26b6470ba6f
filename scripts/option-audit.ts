/**
 * Dev-time audit: compares every tsvirsh command's option table with virsh's
 * (tools/virsh-*.c, vsh.c of a libvirt source tree): per option its type
 * (bool/string/int/data/argv), whether it is required, whether it can be given
 * by position (no VSH_OFLAG_REQ_OPT), the order of the options, and the
 * VSH_OT_ALIAS spellings. Not used by tests or at runtime.
 *
 *   tsx scripts/option-audit.ts [LIBVIRT_SOURCE_DIR]   (default /tmp/e/lv/libvirt-9.0.0)
 *
 * virsh's tables are read by running the C preprocessor over each tools/*.c
 * file with its #include lines removed and the #defines of vsh.h and virsh.h
 * put in front, so the VIRSH_COMMON_OPT_* macros expand as in the build.
 * Prints one line per mismatch and exits 1 when there is any.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec, OptionSpec } from '../src/cli/command.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { BUILTINS } from '../src/cli/shell/builtins.js';

type VirshType = 'BOOL' | 'STRING' | 'INT' | 'DATA' | 'ARGV' | 'ALIAS';

/** One option as the comparison sees it. */
interface Opt {
  readonly name: string;
  readonly type: VirshType;
  readonly required: boolean;
  readonly positional: boolean;
  /** For an alias: what it stands for (`name` or `name=value`). */
  readonly target?: string;
}

const src = process.argv[2] ?? '/tmp/e/lv/libvirt-9.0.0';
const tools = join(src, 'tools');

/** The #define blocks (with their continuation lines) of a file. */
function defines(text: string): string {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^#\s*define\b/.test(lines[i])) continue;
    out.push(lines[i]);
    while (lines[i].endsWith('\\') && i + 1 < lines.length) out.push(lines[++i]);
  }
  return out.join('\n');
}

const prelude = [
  '#define N_(x) x',
  '#define _(x) x',
  defines(readFileSync(join(tools, 'vsh.h'), 'utf8')),
  defines(readFileSync(join(tools, 'virsh.h'), 'utf8')),
].join('\n');

/** A C file after preprocessing, includes left out. */
function preprocess(file: string): string {
  const body = readFileSync(file, 'utf8').replace(/^#\s*include\b.*$/gm, '');
  return execFileSync('cpp', ['-P', '-w', '-'], { input: `${prelude}\n${body}`, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** The brace-enclosed items of an array initializer starting at `text[start] === '{'`, as source strings. */
function items(text: string, start: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = -1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '{') {
      depth++;
      if (depth === 2) from = i;
    } else if (c === '}') {
      if (depth === 2) out.push(text.slice(from + 1, i));
      depth--;
      if (depth === 0) break;
    }
  }
  return out;
}

/** `.field = value` of one initializer (strings joined as C joins adjacent literals). */
function field(item: string, name: string): string | undefined {
  const m = new RegExp(`\\.${name}\\s*=\\s*((?:"(?:[^"\\\\]|\\\\.)*"\\s*)+|[^,]+)`).exec(item);
  if (!m) return undefined;
  let v = m[1].trim();
  // VIRSH_COMMON_OPT_FILE_FULL's `required ? VSH_OT_DATA : VSH_OT_STRING`, expanded with true or false.
  const cond = /^(true|false)\s*\?\s*(\S+)\s*:\s*(\S+)$/.exec(v);
  if (cond) v = cond[1] === 'true' ? cond[2] : cond[3];
  if (v === 'NULL') return undefined;
  return v.startsWith('"') ? [...v.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => s[1]).join('') : v;
}

const optTables = new Map<string, Opt[]>();
const commands = new Map<string, { opts?: string; alias?: string; file: string }>();
for (const f of readdirSync(tools)
  .filter((n) => /^(virsh.*|vsh)\.c$/.test(n) && n !== 'virsh-edit.c') // virsh-edit.c is a fragment other files include
  .sort()) {
  const text = preprocess(join(tools, f));
  for (const m of text.matchAll(/vshCmdOptDef\s+(\w+)\s*\[\]\s*=\s*\{/g)) {
    const opts = items(text, m.index + m[0].length - 1).map((it): Opt => {
      const type = (field(it, 'type') ?? '').replace('VSH_OT_', '') as VirshType;
      const flags = field(it, 'flags') ?? '0';
      return {
        name: field(it, 'name') ?? '?',
        type,
        required: /VSH_OFLAG_REQ\b/.test(flags),
        positional: type !== 'BOOL' && type !== 'ALIAS' && !/VSH_OFLAG_REQ_OPT/.test(flags),
        ...(type === 'ALIAS' ? { target: field(it, 'help') } : {}),
      };
    });
    optTables.set(
      m[1],
      opts.filter((o) => o.name !== '?'),
    );
  }
  for (const m of text.matchAll(/vshCmdDef\s+\w+\s*\[\]\s*=\s*\{/g)) {
    for (const it of items(text, m.index + m[0].length - 1)) {
      const name = field(it, 'name');
      if (name) commands.set(name, { opts: field(it, 'opts'), alias: field(it, 'alias'), file: f });
    }
  }
}

/** How a tsvirsh option reads in virsh's terms (see src/cli/shell/help.ts optionForms). */
function tsOpt(o: OptionSpec): Opt {
  if (o.aliasOf !== undefined) return { name: o.name, type: 'ALIAS', required: false, positional: false, target: o.help };
  const type: VirshType = o.kind === 'bool' ? 'BOOL' : o.kind === 'int' ? 'INT' : o.kind === 'argv' ? 'ARGV' : o.required ? 'DATA' : 'STRING';
  return { name: o.name, type, required: !!o.required, positional: o.kind !== 'bool' && !!o.positional };
}

const describe = (o: Opt): string => `${o.type}${o.required ? '|REQ' : ''}${o.positional ? '' : o.type === 'BOOL' ? '' : '|REQ_OPT'}`;

const mismatches: string[] = [];
const counts = new Map<string, number>();
const report = (cmd: string, kind: string, text: string): void => {
  mismatches.push(`${cmd}: ${kind}: ${text}`);
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
};

const ours = new Map<string, CommandSpec>([...COMMANDS, ...BUILTINS].map((c) => [c.name, c]));
for (const [name, def] of [...commands].sort(([a], [b]) => (a < b ? -1 : 1))) {
  if (def.alias) {
    if (!ours.get(def.alias)?.aliasNames?.includes(name)) report(name, 'command-alias', `alias of ${def.alias} missing`);
    continue;
  }
  const cmd = ours.get(name);
  if (!cmd) {
    report(name, 'command', 'missing in tsvirsh');
    continue;
  }
  const theirs = def.opts ? (optTables.get(def.opts) ?? []) : [];
  const mine = cmd.options.map(tsOpt);
  // Option aliases: in the table (aliasOf) or rewritten by cmd.aliases before parsing.
  for (const a of theirs.filter((o) => o.type === 'ALIAS')) {
    const inTable = mine.find((o) => o.name === a.name);
    const rewritten = cmd.aliases?.([`--${a.name}`])[0];
    const ok = inTable ? inTable.type === 'ALIAS' && inTable.target === a.target : rewritten === `--${a.target}`;
    if (!ok) report(name, 'alias', `--${a.name} should stand for --${a.target}`);
  }
  for (const a of mine.filter((o) => o.type === 'ALIAS')) {
    if (!theirs.some((o) => o.type === 'ALIAS' && o.name === a.name)) report(name, 'alias', `--${a.name} is not a virsh alias`);
  }
  const real = (l: Opt[]): Opt[] => l.filter((o) => o.type !== 'ALIAS');
  const t = real(theirs);
  const m = real(mine);
  for (const o of t) {
    const x = m.find((y) => y.name === o.name);
    if (!x) {
      report(name, 'missing', `--${o.name} (${describe(o)})`);
      continue;
    }
    if (x.type !== o.type) report(name, 'type', `--${o.name}: virsh ${describe(o)}, tsvirsh ${describe(x)}`);
    else if (x.required !== o.required) report(name, 'required', `--${o.name}: virsh ${describe(o)}, tsvirsh ${describe(x)}`);
    else if (x.positional !== o.positional) report(name, 'positional', `--${o.name}: virsh ${describe(o)}, tsvirsh ${describe(x)}`);
  }
  for (const x of m) if (!t.some((o) => o.name === x.name)) report(name, 'extra', `--${x.name} (${describe(x)})`);
  const order = (l: Opt[], other: Opt[]): string[] => l.filter((o) => other.some((p) => p.name === o.name)).map((o) => o.name);
  if (order(t, m).join() !== order(m, t).join()) report(name, 'order', `virsh ${order(t, m).join(',')}; tsvirsh ${order(m, t).join(',')}`);
}
for (const name of ours.keys()) if (!commands.has(name)) report(name, 'command', 'not a virsh command');

for (const line of mismatches) console.log(line);
console.log(
  `${commands.size} virsh commands, ${mismatches.length} mismatches${mismatches.length ? `: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}`,
);
process.exitCode = mismatches.length ? 1 : 0;
