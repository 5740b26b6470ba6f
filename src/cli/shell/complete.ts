/**
 * Completion as virsh 9.0.0 does it (tools/vsh.c vshReadlineParse and the
 * completers of tools/virsh-completer-*.c, read for the facts), shared by
 * the `complete` command (which virsh's bash-completion script runs) and the
 * interactive shell's Tab key:
 *
 * - the line up to the cursor is parsed as virsh parses a command string,
 *   leniently; only the last command counts;
 * - no known command yet (or the word is exactly a command's name, so that
 *   `dump<TAB>` still offers `dumpxml`): the command names, in virsh's order,
 *   without aliases and hidden commands;
 * - the word is the value of an option (`--domain <TAB>`, `--domain=f`, or a
 *   positional value being typed): that option's completer, when virsh has
 *   one (object names from the daemon, with virsh's listing flags);
 * - otherwise the command's options not given yet (`--name`);
 * - blanks in candidates are escaped with `\`, and only the candidates that
 *   start with the word are kept.
 */
import type { Connection } from '../../api/connection.js';
import { CliError, type OptionSpec } from '../command.js';
import { LibvirtError } from '../../rpc/errors.js';
import { VIRSH_HELP_ORDER } from './help-order.js';
import { lookupDomain } from '../support/lookup.js';
import { parseXml, xmlAll, xmlFirst } from '../../api/xml/reader.js';
import { COMPLETERS } from './completer-table.js';
import { KEYCODE_SETS } from '../support/keycodes.js';
import {
  ADDRESS_SOURCES,
  DOMAIN_VIRT_TYPES,
  DUMP_FORMATS,
  LIFECYCLE_ACTIONS,
  LIFECYCLE_TYPES,
  NETWORK_UPDATE_COMMANDS,
  NETWORK_UPDATE_SECTIONS,
  NODE_DEVICE_CAPS,
  NUMA_MODES,
  PCI_BACKENDS,
  SUSPEND_TARGETS,
  POOL_TYPES,
  WIPE_ALGORITHMS,
} from '../support/enum-names.js';

/** What completion needs to know of a command. */
export interface CompletionCommand {
  readonly name: string;
  readonly options: readonly OptionSpec[];
  /** Left out of command-name completion (virsh's hidden commands and aliases). */
  readonly hidden?: boolean;
}

/** The commands and a way to reach the daemon for object names. */
export interface CompletionSource {
  readonly commands: readonly CompletionCommand[];
  /** The connection completers ask; null when there is none (then they offer nothing). */
  connection(): Promise<Connection | null>;
}

type Token = { readonly kind: 'arg'; readonly text: string; readonly end: number } | { readonly kind: 'sub' | 'end' | 'error' };

/** One argument of a command string, as vshCommandStringGetArg reads it for the completer (an open `"` is allowed). */
function nextToken(line: string, pos: number): Token & { readonly next: number } {
  let p = pos;
  while (line[p] === ' ' || line[p] === '\t' || (line[p] === '\\' && line[p + 1] === '\n')) p += line[p] === '\\' ? 2 : 1;
  if (p >= line.length) return { kind: 'end', next: pos };
  if (line[p] === ';' || line[p] === '\n') return { kind: 'sub', next: p + 1 };
  if (line[p] === '#') {
    while (p < line.length && line[p] !== '\n') p++;
    return { kind: 'sub', next: p < line.length ? p + 1 : p };
  }
  let text = '';
  let single = false;
  let double = false;
  while (p < line.length) {
    const c = line[p];
    if (!double && !single && (c === ' ' || c === '\t' || c === ';' || c === '\n')) break;
    if (!double && c === "'") {
      single = !single;
      p++;
      continue;
    }
    if (!single && c === '\\') {
      p++;
      if (p >= line.length) return { kind: 'error', next: p };
      if (line[p] === '\n') {
        p++;
        continue;
      }
    } else if (!single && c === '"') {
      double = !double;
      p++;
      continue;
    }
    text += line[p++];
  }
  return { kind: 'arg', text, end: p, next: p };
}

/** The last command of a line as far as it was typed, and the option whose value the cursor is on. */
interface Partial {
  readonly cmd: CompletionCommand | null;
  readonly given: ReadonlyMap<string, string>;
  readonly completing: OptionSpec | null;
}

/**
 * Parses `line` (the cursor at its end) as vshCommandParse does with a
 * partial command: a command the parser finished is kept until the next one
 * starts; a syntax error stops there, keeping what was read.
 */
function parsePartial(line: string, commands: readonly CompletionCommand[]): Partial {
  const point = line.length;
  let pos = 0;
  for (;;) {
    let cmd: CompletionCommand | null = null;
    const given = new Map<string, string>();
    let completing: OptionSpec | null = null;
    let dataOnly = false;
    const stop = (): Partial => ({ cmd, given, completing });
    const record = (opt: OptionSpec, value: string, end: number): void => {
      given.set(opt.name, value);
      if (end === point) completing = opt;
    };
    for (;;) {
      const tk = nextToken(line, pos);
      if (tk.kind === 'error') return stop();
      if (tk.kind !== 'arg') {
        pos = tk.next;
        if (tk.kind === 'end') return cmd ? stop() : { cmd: null, given, completing: null };
        break;
      }
      pos = tk.next;
      if (cmd === null) {
        if (tk.text.startsWith('#')) {
          // A comment: the rest of the command is skipped.
          for (let t = nextToken(line, pos); t.kind === 'arg'; t = nextToken(line, pos)) pos = t.next;
          continue;
        }
        cmd = commands.find((c) => c.name === tk.text) ?? null;
        if (cmd === null) return stop();
        continue;
      }
      if (!dataOnly && /^--[A-Za-z0-9]/.test(tk.text)) {
        const eq = tk.text.indexOf('=');
        const name = eq > 0 ? tk.text.slice(2, eq) : tk.text.slice(2);
        const opt = cmd.options.find((o) => o.name === name);
        if (!opt || (given.has(name) && opt.kind !== 'argv')) {
          if (cmd.name === 'help') continue;
          return stop();
        }
        if (opt.kind === 'bool') {
          if (eq > 0) return stop();
          record(opt, '', tk.end);
          continue;
        }
        if (eq > 0) {
          record(opt, tk.text.slice(eq + 1), tk.end);
          continue;
        }
        const value = nextToken(line, pos);
        if (value.kind !== 'arg') {
          // `--domain <TAB>`: the option's value is what is being completed.
          given.set(opt.name, '');
          if (tk.end === point - 1) completing = opt;
          return stop();
        }
        pos = value.next;
        record(opt, value.text, value.end);
        continue;
      }
      if (!dataOnly && tk.text === '--') {
        dataOnly = true;
        continue;
      }
      const data = cmd.options.find((o) => o.positional && (o.kind === 'argv' || !given.has(o.name)));
      if (!data) {
        if (cmd.name === 'help') continue;
        return stop();
      }
      record(data, tk.text, tk.end);
    }
  }
}

/** Commands in virsh's order (its command tables, as `help` lists them), for command-name completion. */
function commandNames(commands: readonly CompletionCommand[]): string[] {
  const rank = (n: string): number => {
    const i = VIRSH_HELP_ORDER.indexOf(n);
    return i < 0 ? VIRSH_HELP_ORDER.length : i;
  };
  return commands
    .filter((c) => !c.hidden)
    .map((c) => c.name)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Completers that offer a fixed list (the strings of a libvirt enum, in its order). */
const STATIC_COMPLETERS: Readonly<Record<string, readonly string[]>> = {
  DomainLifecycle: LIFECYCLE_TYPES,
  DomainLifecycleAction: LIFECYCLE_ACTIONS,
  DomainCoreDumpFormat: DUMP_FORMATS,
  NodeSuspendTarget: SUSPEND_TARGETS,
  StorageVolWipeAlgorithm: WIPE_ALGORITHMS,
  // virsh offers "add" (its alias of add-last) in place of the enum's unused first value.
  NetworkUpdateCommand: ['add', ...NETWORK_UPDATE_COMMANDS.slice(1)],
  NetworkUpdateSection: NETWORK_UPDATE_SECTIONS.slice(1),
  DomainNumatuneMode: NUMA_MODES,
  DomainDirtyRateCalcMode: ['page-sampling', 'dirty-bitmap', 'dirty-ring'],
  CodesetName: KEYCODE_SETS,
  DomainInterfaceSourceMode: ['server', 'client'],
  DomainInterfaceAddrSource: ADDRESS_SOURCES,
  DomainHostnameSource: ['agent', 'lease'],
  DomainVirtType: DOMAIN_VIRT_TYPES,
  NodeDevicePCIBackend: PCI_BACKENDS,
};

/**
 * virshCommaStringListComplete: for a comma list being typed (`dir,lo`), the
 * options not listed yet, each after the part before the last comma.
 */
function commaListCandidates(input: string | undefined, options: readonly string[]): string[] {
  const done = input !== undefined && input !== ' ' && input.includes(',') ? input.slice(0, input.lastIndexOf(',')) : null;
  const listed = done === null ? [] : done.split(',');
  return options.filter((o) => !listed.includes(o)).map((o) => (done === null ? o : `${done},${o}`));
}

/**
 * The values a completer offers, or null when it has none (no connection, an
 * object that is not found, or a completer tsvirsh does not implement). A call
 * the daemon refuses rejects with its error.
 */
async function completerValues(completer: string, flags: number, given: ReadonlyMap<string, string>, source: CompletionSource): Promise<string[] | null> {
  if (completer === 'CompleteEmpty') return [];
  if (completer === 'PoolType') return commaListCandidates(given.get('type'), POOL_TYPES);
  if (completer === 'DomainShutdownMode') return commaListCandidates(given.get('mode'), ['acpi', 'agent', 'initctl', 'signal', 'paravirt']);
  if (completer === 'NodeDeviceCapabilityName') return commaListCandidates(given.get('cap'), NODE_DEVICE_CAPS);
  const fixed = STATIC_COMPLETERS[completer];
  if (fixed) return [...fixed];
  const conn = await source.connection();
  if (!conn?.isOpen) return null;
  const raw = conn.raw;
  try {
    switch (completer) {
      case 'DomainName':
        return (await raw.connectListAllDomains(1, flags)).domains.map((d) => d.name);
      case 'DomainUUID':
        return (await raw.connectListAllDomains(1, flags)).domains.map((d) => uuidText(d.uuid));
      case 'NetworkName':
        return (await raw.connectListAllNetworks(1, flags)).nets.map((n) => n.name);
      case 'NetworkUUID':
        return (await raw.connectListAllNetworks(1, flags)).nets.map((n) => uuidText(n.uuid));
      case 'StoragePoolName':
        return (await raw.connectListAllStoragePools(1, flags)).pools.map((p) => p.name);
      case 'InterfaceName':
        return (await raw.connectListAllInterfaces(1, flags)).ifaces.map((i) => i.name);
      case 'InterfaceMac':
        return (await raw.connectListAllInterfaces(1, flags)).ifaces.map((i) => i.mac);
      case 'NWFilterName':
        return (await raw.connectListAllNWFilters(1, flags)).filters.map((f) => f.name);
      case 'NWFilterBindingName':
        return (await raw.connectListAllNWFilterBindings(1, flags)).bindings.map((b) => b.portdev);
      case 'SecretUUID':
        return (await raw.connectListAllSecrets(1, flags)).secrets.map((s) => uuidText(s.uuid));
      case 'NodeDeviceName':
        return (await raw.connectListAllNodeDevices(1, flags)).devices.map((d) => d.name);
      case 'SnapshotName':
      case 'CheckpointName': {
        const text = given.get('domain');
        if (!text) return null;
        const dom = await lookupDomain(conn, text);
        if (completer === 'SnapshotName') return (await raw.domainListAllSnapshots(dom, 1, flags)).snapshots.map((s) => s.name);
        return (await raw.domainListAllCheckpoints(dom, 1, flags)).checkpoints.map((c) => c.name);
      }
      case 'StorageVolName': {
        const text = given.get('pool');
        if (!text) return null;
        const pool = await raw.storagePoolLookupByName(text);
        return (await raw.storagePoolListAllVolumes(pool, 1, flags)).vols.map((v) => v.name);
      }
      case 'DomainDiskTarget':
        return await diskTargets(conn, given);
      case 'DomainUndefineStorageDisks':
      case 'DomainMigrateDisks': {
        const targets = await diskTargets(conn, given);
        return targets && commaListCandidates(given.get(completer === 'DomainMigrateDisks' ? 'migrate-disks' : 'storage'), targets);
      }
      default:
        return null;
    }
  } catch (err) {
    // virsh reports a completer's failed call or lookup when nothing was offered (the `complete` command's error).
    if (err instanceof LibvirtError || err instanceof CliError) throw err;
    return null;
  }
}

/** The disk targets of the domain of the `domain` option (virshDomainDiskTargetCompleter); null when one has none. */
async function diskTargets(conn: Connection, given: ReadonlyMap<string, string>): Promise<string[] | null> {
  const text = given.get('domain');
  if (!text) return null;
  const doc = parseXml(await conn.raw.domainGetXMLDesc(await lookupDomain(conn, text), 0));
  const targets = xmlAll(doc, 'devices/disk').map((d) => xmlFirst(d, 'target')?.attrs.dev ?? '');
  return targets.includes('') ? null : targets;
}

function uuidText(bytes: Uint8Array): string {
  const h = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The candidates for `text`, the word at the end of `line` (the line up to
 * the cursor), in virsh's order: what `complete` prints and Tab offers.
 * Rejects with the daemon's error when a completer's call failed.
 */
export async function completions(line: string, text: string, source: CompletionSource): Promise<string[]> {
  const partial = parsePartial(line, source.commands);
  let cmd = partial.cmd;
  // `dump<TAB>`: the word is a whole command name, yet other commands start with it.
  if (cmd && cmd.name === text) cmd = null;
  const opt = cmd ? partial.completing : null;
  let list: string[] | null;
  if (!cmd) {
    list = commandNames(source.commands);
  } else if (!opt || opt.kind === 'bool') {
    list = cmd.options.filter((o) => o.kind === 'argv' || !partial.given.has(o.name)).map((o) => `--${o.name}`);
  } else if (cmd.name === 'help' && opt.name === 'command') {
    list = commandNames(source.commands);
  } else {
    const entry = COMPLETERS[cmd.name]?.[opt.name];
    list = entry ? await completerValues(entry[0], entry[1], partial.given, source) : null;
  }
  if (!list) return [];
  return list.map((s) => s.replace(/ /g, '\\ ')).filter((s) => s.startsWith(text));
}

/** Where readline's word starts in `line`: after the last unescaped break character (virsh's rl_basic_word_break_characters). */
export function wordStart(line: string): number {
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') {
      i++;
      continue;
    }
    if (' \t\n`@$><=;|&{('.includes(line[i])) start = i + 1;
  }
  return start;
}

/**
 * What virsh's hidden `complete` command prints for `words` (tools/vsh.c
 * cmdComplete), as its bash-completion script runs it:
 * `virsh [-c URI] [-r] complete -- WORDS...`. The words are joined by blanks
 * into the line up to the cursor, the last one is the word being completed;
 * each candidate goes on a line of its own. No words, or no candidate, is a
 * failure with no message; a completer's failed call fails with its error.
 */
export async function completeCommandText(words: readonly string[], source: CompletionSource): Promise<string> {
  if (words.length === 0) throw new CliError([]);
  let list: string[];
  try {
    list = await completions(words.join(' '), words[words.length - 1], source);
  } catch (err) {
    throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
  }
  if (list.length === 0) throw new CliError([]);
  return list.map((s) => `${s}\n`).join('');
}
