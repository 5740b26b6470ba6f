/**
 * `list`, as virsh 9.0.0's (tools/virsh-domain-monitor.c cmdList,
 * virshDomainListCollect, virshDomainSorter):
 *
 * - active domains unless `--inactive` or `--state-shutoff` (inactive ones)
 *   or `--all` (both); every other filter narrows that set (`--persistent`
 *   lists the active persistent domains);
 * - the daemon filters (connectListAllDomains); one that refuses a filter
 *   (VIR_ERR_INVALID_ARG) lists active/inactive domains and tsvirsh filters
 *   them as virsh does, one that lacks the call (VIR_ERR_NO_SUPPORT) is
 *   asked with the old count-and-list calls;
 * - running domains by ID, then the others by name, case-insensitively;
 * - a table, or with `--uuid`, `--id`, `--name` those columns in that order
 *   (IDs alone leave inactive domains out); `--managed-save` shows a
 *   shut-off domain with a managed save image as `saved`.
 */
import { domainStateName } from '../../api/names.js';
import {
  VIR_CONNECT_LIST_DOMAINS_ACTIVE,
  VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
  VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT,
  VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT,
  VIR_CONNECT_LIST_DOMAINS_INACTIVE,
  VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE,
  VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
  VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT,
  VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE,
  VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT,
  VIR_CONNECT_LIST_DOMAINS_OTHER,
  VIR_CONNECT_LIST_DOMAINS_PAUSED,
  VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
  VIR_CONNECT_LIST_DOMAINS_RUNNING,
  VIR_CONNECT_LIST_DOMAINS_SHUTOFF,
  VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
  VIR_DOMAIN_METADATA_TITLE,
  VIR_DOMAIN_PAUSED,
  VIR_DOMAIN_RUNNING,
  VIR_DOMAIN_SHUTOFF,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import type { Connection } from '../../api/connection.js';
import type { CommandContext, CommandSpec, ParsedOptions } from '../command.js';
import { daemonError, isLibvirtError, vshFail } from '../support/failures.js';
import { formatUuid } from '../support/format.js';
import { printJson, wantsJson } from '../support/json-output.js';
import { lookupEach } from '../support/lookup.js';
import { domainDescription } from '../support/metadata.js';
import { exclusive, flag } from '../support/options.js';
import { formatTable } from '../support/table.js';

const ACTIVE = VIR_CONNECT_LIST_DOMAINS_ACTIVE;
const INACTIVE = VIR_CONNECT_LIST_DOMAINS_INACTIVE;

/** The filter options and their VIR_CONNECT_LIST_DOMAINS_* bits (cmdList's FILTER lines). */
const FILTERS: readonly (readonly [string, number])[] = [
  ['persistent', VIR_CONNECT_LIST_DOMAINS_PERSISTENT],
  ['transient', VIR_CONNECT_LIST_DOMAINS_TRANSIENT],
  ['with-managed-save', VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE],
  ['without-managed-save', VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE],
  ['autostart', VIR_CONNECT_LIST_DOMAINS_AUTOSTART],
  ['no-autostart', VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART],
  ['with-snapshot', VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT],
  ['without-snapshot', VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT],
  ['with-checkpoint', VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT],
  ['without-checkpoint', VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT],
  ['state-running', VIR_CONNECT_LIST_DOMAINS_RUNNING],
  ['state-paused', VIR_CONNECT_LIST_DOMAINS_PAUSED],
  ['state-shutoff', VIR_CONNECT_LIST_DOMAINS_SHUTOFF],
  ['state-other', VIR_CONNECT_LIST_DOMAINS_OTHER],
];

/** The flags of the options given (cmdList). */
function listFlags(opts: ParsedOptions): number {
  let flags = ACTIVE;
  if (opts.bool('inactive') || opts.bool('state-shutoff')) flags = INACTIVE;
  if (opts.bool('all')) flags = INACTIVE | ACTIVE;
  for (const [name, bit] of FILTERS) if (opts.bool(name)) flags |= bit;
  return flags;
}

/** virsh's order: running domains by ID, then inactive ones by name (case-insensitive). */
function sortDomains(domains: RemoteNonnullDomain[]): RemoteNonnullDomain[] {
  return [...domains].sort((a, b) => {
    const ia = a.id === -1 ? null : a.id;
    const ib = b.id === -1 ? null : b.id;
    if (ia !== null && ib !== null) return ia - ib;
    if (ia !== null) return -1;
    if (ib !== null) return 1;
    return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;
  });
}

/** A domain's state (virshDomainState: GetState, else GetInfo where the daemon lacks it); null when it cannot be had. */
async function domainState(conn: Connection, dom: RemoteNonnullDomain): Promise<number | null> {
  try {
    return (await conn.raw.domainGetState(dom, 0)).state;
  } catch (err) {
    if (!isLibvirtError(err, 'VIR_ERR_NO_SUPPORT')) return null;
  }
  return await conn.raw.domainGetInfo(dom).then(
    (info) => info.state,
    () => null,
  );
}

const STATE_FILTER = VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED | VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER;

/** Whether a domain's state passes the state filter of `flags`. */
function stateMatches(flags: number, state: number): boolean {
  if (flags & VIR_CONNECT_LIST_DOMAINS_RUNNING && state === VIR_DOMAIN_RUNNING) return true;
  if (flags & VIR_CONNECT_LIST_DOMAINS_PAUSED && state === VIR_DOMAIN_PAUSED) return true;
  if (flags & VIR_CONNECT_LIST_DOMAINS_SHUTOFF && state === VIR_DOMAIN_SHUTOFF) return true;
  return Boolean(flags & VIR_CONNECT_LIST_DOMAINS_OTHER) && state !== VIR_DOMAIN_RUNNING && state !== VIR_DOMAIN_PAUSED && state !== VIR_DOMAIN_SHUTOFF;
}

/**
 * A filter virsh applies itself, in its order: the filter's bits, whether a
 * domain passes it, and virsh's message when asking the daemon fails.
 */
interface ClientFilter {
  readonly bits: number;
  readonly passes: (conn: Connection, dom: RemoteNonnullDomain, flags: number) => Promise<boolean>;
  readonly message: string;
}

/** A yes/no filter on a count or boolean the daemon gives (`yes`: more than none; `no`: none). */
function countFilter(yes: number, no: number, ask: (conn: Connection, dom: RemoteNonnullDomain) => Promise<number>, message: string): ClientFilter {
  return {
    bits: yes | no,
    passes: async (conn, dom, flags) => {
      const n = await ask(conn, dom);
      return Boolean((flags & yes && n > 0) || (flags & no && n === 0));
    },
    message,
  };
}

const CLIENT_FILTERS: readonly ClientFilter[] = [
  countFilter(
    VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
    VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
    (conn, dom) => conn.raw.domainIsPersistent(dom),
    'Failed to get domain persistence info',
  ),
  {
    bits: STATE_FILTER,
    passes: async (conn, dom, flags) => stateMatches(flags, (await conn.raw.domainGetState(dom, 0)).state),
    message: 'Failed to get domain state',
  },
  countFilter(
    VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
    VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
    (conn, dom) => conn.raw.domainGetAutostart(dom),
    'Failed to get domain autostart state',
  ),
  countFilter(
    VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE,
    VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE,
    (conn, dom) => conn.raw.domainHasManagedSaveImage(dom, 0),
    'Failed to check for managed save image',
  ),
  countFilter(
    VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT,
    VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT,
    (conn, dom) => conn.raw.domainSnapshotNum(dom, 0),
    'Failed to get snapshot count',
  ),
  countFilter(
    VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT,
    VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT,
    async (conn, dom) => (await conn.raw.domainListAllCheckpoints(dom, 0, 0)).ret,
    'Failed to get checkpoint count',
  ),
];

/** The domains that pass every filter of `flags`, asked one by one (virshDomainListCollect's filter step). */
async function filterDomains(conn: Connection, domains: readonly RemoteNonnullDomain[], flags: number): Promise<RemoteNonnullDomain[]> {
  const kept: RemoteNonnullDomain[] = [];
  next: for (const dom of domains) {
    for (const f of CLIENT_FILTERS) {
      if (!(flags & f.bits)) continue;
      let passes: boolean;
      try {
        passes = await f.passes(conn, dom, flags);
      } catch (err) {
        throw vshFail(f.message, err);
      }
      if (!passes) continue next;
    }
    kept.push(dom);
  }
  return kept;
}

/** The old calls (libvirt before 0.9.13): IDs of active domains, names of inactive ones, each looked up. */
async function listTheOldWay(conn: Connection, flags: number): Promise<RemoteNonnullDomain[]> {
  const both = !(flags & (ACTIVE | INACTIVE));
  let active: RemoteNonnullDomain[] = [];
  let inactive: RemoteNonnullDomain[] = [];
  if (both || flags & ACTIVE) {
    let ids: number[];
    try {
      ids = await conn.raw.connectListDomains(await conn.raw.connectNumOfDomains());
    } catch (err) {
      throw vshFail('Failed to list active domains', err);
    }
    active = await lookupEach(ids, (id) => conn.raw.domainLookupByID(id));
  }
  if (both || flags & INACTIVE) {
    let names: string[];
    try {
      names = await conn.raw.connectListDefinedDomains(await conn.raw.connectNumOfDefinedDomains());
    } catch (err) {
      throw vshFail('Failed to list inactive domains', err);
    }
    inactive = await lookupEach(names, (name) => conn.raw.domainLookupByName(name));
  }
  return filterDomains(conn, [...active, ...inactive], flags);
}

/** The domains `flags` asks for (virshDomainListCollect). */
async function collectDomains(conn: Connection, flags: number): Promise<RemoteNonnullDomain[]> {
  try {
    return (await conn.raw.connectListAllDomains(1, flags)).domains;
  } catch (err) {
    if (isLibvirtError(err, 'VIR_ERR_NO_SUPPORT')) return await listTheOldWay(conn, flags);
    if (!isLibvirtError(err, 'VIR_ERR_INVALID_ARG')) throw vshFail('Failed to list domains', err);
  }
  // The daemon refused a filter: list by activity alone and filter here.
  let domains: RemoteNonnullDomain[];
  try {
    domains = (await conn.raw.connectListAllDomains(1, flags & (ACTIVE | INACTIVE))).domains;
  } catch (err) {
    throw vshFail('Failed to list domains', err);
  }
  return await filterDomains(conn, domains, flags);
}

async function list(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = listFlags(opts);
  exclusive(opts, ['table', 'name'], ['table', 'uuid'], ['table', 'id']);
  const [uuid, id, name] = [opts.bool('uuid'), opts.bool('id'), opts.bool('name')];
  const json = wantsJson(opts);
  const table = opts.bool('table') || (!uuid && !id && !name) || json;
  const domains = sortDomains(await collectDomains(ctx.conn, flags));
  if (!table) {
    for (const d of domains) {
      // IDs alone: only the running domains have one.
      if (id && !uuid && !name && d.id === -1) continue;
      const parts: string[] = [];
      if (uuid) parts.push(formatUuid(d.uuid));
      if (id) parts.push(d.id === -1 ? '-' : String(d.id));
      if (name) parts.push(d.name);
      ctx.print(`${parts.join(' ')}\n`);
    }
    return;
  }
  const title = opts.bool('title');
  const managed = opts.bool('managed-save');
  const rows: string[][] = [];
  const records: Record<string, unknown>[] = [];
  for (const d of domains) {
    const state = await domainState(ctx.conn, d);
    // The domain may have gone in the meantime.
    if (state === null) continue;
    const saved = managed && state === VIR_DOMAIN_SHUTOFF && (await ctx.conn.raw.domainHasManagedSaveImage(d, 0).catch(() => 0)) > 0;
    const stateText = saved ? 'saved' : domainStateName(state);
    const row = [d.id === -1 ? '-' : String(d.id), d.name, stateText];
    const record: Record<string, unknown> = { id: d.id === -1 ? null : d.id, name: d.name, uuid: formatUuid(d.uuid), state: stateText };
    if (title) {
      try {
        row.push((record.title = await domainDescription(ctx.conn, d, VIR_DOMAIN_METADATA_TITLE, 0)));
      } catch (err) {
        throw daemonError(err);
      }
    }
    rows.push(row);
    records.push(record);
  }
  if (json) printJson(ctx, records);
  else ctx.print(formatTable(title ? ['Id', 'Name', 'State', 'Title'] : ['Id', 'Name', 'State'], rows, ctx.quiet));
}

/** `list`. */
export const listCommands: readonly CommandSpec[] = [
  {
    name: 'list',
    group: 'Domain Monitoring',
    help: 'list domains',
    description: 'Returns list of domains.',
    options: [
      flag('inactive', 'list inactive domains'),
      flag('all', 'list inactive & active domains'),
      flag('transient', 'list transient domains'),
      flag('persistent', 'list persistent domains'),
      flag('with-snapshot', 'list domains with existing snapshot'),
      flag('without-snapshot', 'list domains without a snapshot'),
      flag('with-checkpoint', 'list domains with existing checkpoint'),
      flag('without-checkpoint', 'list domains without a checkpoint'),
      flag('state-running', 'list domains in running state'),
      flag('state-paused', 'list domains in paused state'),
      flag('state-shutoff', 'list domains in shutoff state'),
      flag('state-other', 'list domains in other states'),
      flag('autostart', 'list domains with autostart enabled'),
      flag('no-autostart', 'list domains with autostart disabled'),
      flag('with-managed-save', 'list domains with managed save state'),
      flag('without-managed-save', 'list domains without managed save'),
      flag('uuid', "list uuid's only"),
      flag('name', 'list domain names only'),
      flag('id', 'list domain IDs only'),
      flag('table', 'list table (default)'),
      flag('managed-save', 'mark inactive domains with managed save state'),
      flag('title', 'show domain title'),
    ],
    extensions: ['json'],
    run: list,
  },
];
