/**
 * `migrate` and its tuning commands (migrate-setmaxdowntime,
 * migrate-getmaxdowntime, migrate-compcache, migrate-setspeed,
 * migrate-getspeed, migrate-postcopy), with virsh's options, checks and
 * output (tools/virsh-domain.c cmdMigrate, doMigrate, virshWatchJob).
 * Migration itself is the object API's (src/api/migrate): client-driven
 * (virDomainMigrate3) or by the source daemon (virDomainMigrateToURI3 for
 * --p2p and --direct).
 */
import type { Connection } from '../../api/connection.js';
import type { Unsubscribe } from '../../api/events.js';
import { migrateDomain3, migrateDomainToUri } from '../../api/migrate/index.js';
import {
  VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY,
  VIR_MIGRATE_ABORT_ON_ERROR,
  VIR_MIGRATE_AUTO_CONVERGE,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_COMPRESSED,
  VIR_MIGRATE_LIVE,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARALLEL,
  VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT,
  VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY,
  VIR_MIGRATE_PARAM_COMPRESSION,
  VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS,
  VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL,
  VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS,
  VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_DISKS_PORT,
  VIR_MIGRATE_PARAM_DISKS_URI,
  VIR_MIGRATE_PARAM_GRAPHICS_URI,
  VIR_MIGRATE_PARAM_LISTEN_ADDRESS,
  VIR_MIGRATE_PARAM_MIGRATE_DISKS,
  VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
  VIR_MIGRATE_PARAM_PERSIST_XML,
  VIR_MIGRATE_PARAM_TLS_DESTINATION,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_PERSIST_DEST,
  VIR_MIGRATE_POSTCOPY,
  VIR_MIGRATE_POSTCOPY_RESUME,
  VIR_MIGRATE_RDMA_PIN_ALL,
  VIR_MIGRATE_TLS,
  VIR_MIGRATE_TUNNELLED,
  VIR_MIGRATE_UNDEFINE_SOURCE,
  VIR_MIGRATE_UNSAFE,
  VIR_MIGRATE_ZEROCOPY,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { delay } from '../../util/deadline.js';
import { CliError, type CommandContext, type CommandSpec, type OptionSpec, type ParsedOptions } from '../command.js';
import { call, daemonError } from '../support/failures.js';
import { prettyCapacity3 } from '../support/format.js';
import { lookupDomain } from '../support/lookup.js';
import { numberOpt } from '../support/numbers.js';
import { DOMAIN, exclusive, flag, optionAliases, requireOption, strOpt, valueOpt } from '../support/options.js';
import { abortJobOnInterrupt } from '../support/job-interrupt.js';
import { watchJob as progressOfJob, wantsProgress } from '../support/progress.js';

const GROUP = 'Domain Management';

/** A domain command of this module: `<domain>` first. */
const command = (name: string, help: string, description: string, options: readonly OptionSpec[], run: CommandSpec['run']): CommandSpec => ({
  name,
  group: GROUP,
  help,
  description,
  options: [DOMAIN, ...options],
  run,
});

// ---------------------------------------------------------------------------------------------
// migrate's options (opts_migrate), in virsh's order

/** The boolean flags of migrate with the virDomainMigrate flag each sets (doMigrate). */
const MIGRATE_FLAGS: readonly (readonly [string, number, string])[] = [
  ['live', VIR_MIGRATE_LIVE, 'live migration'],
  ['offline', VIR_MIGRATE_OFFLINE, 'offline migration'],
  ['p2p', VIR_MIGRATE_PEER2PEER, 'peer-2-peer migration'],
  ['direct', 0, 'direct migration'],
  ['tunnelled', VIR_MIGRATE_TUNNELLED, 'tunnelled migration'],
  ['persistent', VIR_MIGRATE_PERSIST_DEST, 'persist VM on destination'],
  ['undefinesource', VIR_MIGRATE_UNDEFINE_SOURCE, 'undefine VM on source'],
  ['suspend', VIR_MIGRATE_PAUSED, 'do not restart the domain on the destination host'],
  ['copy-storage-all', VIR_MIGRATE_NON_SHARED_DISK, 'migration with non-shared storage with full disk copy'],
  [
    'copy-storage-inc',
    VIR_MIGRATE_NON_SHARED_INC,
    'migration with non-shared storage with incremental copy (same base image shared between source and destination)',
  ],
  [
    'copy-storage-synchronous-writes',
    VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES,
    'force guest disk writes to be synchronously written to the destination to improve storage migration convergence',
  ],
  ['change-protection', VIR_MIGRATE_CHANGE_PROTECTION, 'prevent any configuration changes to domain until migration ends'],
  ['unsafe', VIR_MIGRATE_UNSAFE, 'force migration even if it may be unsafe'],
  ['verbose', 0, 'display the progress of migration'],
  ['compressed', VIR_MIGRATE_COMPRESSED, 'compress repeated pages during live migration'],
  ['auto-converge', VIR_MIGRATE_AUTO_CONVERGE, 'force convergence during live migration'],
  ['rdma-pin-all', VIR_MIGRATE_RDMA_PIN_ALL, 'pin all memory before starting RDMA live migration'],
  ['abort-on-error', VIR_MIGRATE_ABORT_ON_ERROR, 'abort on soft errors during migration'],
  ['postcopy', VIR_MIGRATE_POSTCOPY, 'enable post-copy migration; switch to it using migrate-postcopy command'],
  ['postcopy-after-precopy', 0, 'automatically switch to post-copy migration after one pass of pre-copy'],
  ['postcopy-resume', VIR_MIGRATE_POSTCOPY_RESUME, 'resume failed post-copy migration'],
  ['zerocopy', VIR_MIGRATE_ZEROCOPY, 'use zero-copy mechanism for migrating memory pages'],
];

/** Flags doMigrate sets after the others, in its order. */
const LATE_FLAGS: readonly (readonly [string, number, string])[] = [
  ['tls', VIR_MIGRATE_TLS, 'use TLS for migration'],
  ['parallel', VIR_MIGRATE_PARALLEL, 'enable parallel migration'],
];

const str = (name: string, help: string): OptionSpec => valueOpt(name, 'string', help);
const int = (name: string, help: string): OptionSpec => valueOpt(name, 'int', help);

const MIGRATE_OPTIONS: readonly OptionSpec[] = [
  DOMAIN,
  valueOpt('desturi', 'string', 'connection URI of the destination host as seen from the client(normal migration) or source(p2p migration)', {
    required: true,
  }),
  ...MIGRATE_FLAGS.map(([name, , help]) => flag(name, help)),
  str('migrateuri', 'migration URI, usually can be omitted'),
  str('graphicsuri', 'graphics URI to be used for seamless graphics migration'),
  str('listen-address', 'listen address that destination should bind to for incoming migration'),
  str('dname', 'rename to new name during migration (if supported)'),
  int('timeout', 'run action specified by --timeout-* option (suspend by default) if live migration exceeds timeout (in seconds)'),
  flag('timeout-suspend', 'suspend the guest after timeout'),
  flag('timeout-postcopy', 'switch to post-copy after timeout'),
  str('xml', 'filename containing updated XML for the target'),
  str('migrate-disks', 'comma separated list of disks to be migrated'),
  int('disks-port', 'port to use by target server for incoming disks migration'),
  str('disks-uri', 'URI to use for disks migration (overrides --disks-port)'),
  str('comp-methods', 'comma separated list of compression methods to be used'),
  int('comp-mt-level', 'compress level for multithread compression'),
  int('comp-mt-threads', 'number of compression threads for multithread compression'),
  int('comp-mt-dthreads', 'number of decompression threads for multithread compression'),
  int('comp-xbzrle-cache', 'page cache size for xbzrle compression'),
  int('auto-converge-initial', 'initial CPU throttling rate for auto-convergence'),
  int('auto-converge-increment', 'CPU throttling rate increment for auto-convergence'),
  str('persistent-xml', 'filename containing updated persistent XML for the target'),
  flag(LATE_FLAGS[0][0], LATE_FLAGS[0][2]),
  int('postcopy-bandwidth', 'post-copy migration bandwidth limit in MiB/s'),
  flag(LATE_FLAGS[1][0], LATE_FLAGS[1][2]),
  int('parallel-connections', 'number of connections for parallel migration'),
  int('bandwidth', 'migration bandwidth limit in MiB/s'),
  str('tls-destination', 'override the destination host name used for TLS verification'),
];

// ---------------------------------------------------------------------------------------------
// Building migrate's parameters (doMigrate)

/** The typed parameters of virDomainMigrate3/ToURI3 as doMigrate adds them from the options, in its order. */
async function migrateParams(ctx: CommandContext, opts: ParsedOptions): Promise<RemoteTypedParam[]> {
  const params: RemoteTypedParam[] = [];
  const s = (field: string, value: string): void => void params.push({ field, value: { type: 7, s: value } });
  const i = (field: string, value: bigint): void => void params.push({ field, value: { type: 1, i: Number(value) } });
  const ull = (field: string, value: bigint): void => void params.push({ field, value: { type: 4, ul: value } });
  const text = (opt: string, field: string): void => {
    const v = strOpt(opts, opt);
    if (v !== undefined) s(field, v);
  };
  /** A file's text as the parameter (virFileReadAll), or "cannot read file" and libvirt's reason. */
  const file = async (opt: string, field: string): Promise<void> => {
    const path = strOpt(opts, opt);
    if (path === undefined) return;
    try {
      s(field, await ctx.readFile(path));
    } catch (err) {
      if (err instanceof CliError) throw new CliError([`cannot read file '${path}'`, ...err.lines], { cause: err });
      throw err;
    }
  };
  text('migrateuri', VIR_MIGRATE_PARAM_URI);
  text('graphicsuri', VIR_MIGRATE_PARAM_GRAPHICS_URI);
  text('listen-address', VIR_MIGRATE_PARAM_LISTEN_ADDRESS);
  // A port of 0 means "not given" (vshCommandOptInt leaves it 0).
  const port = numberOpt(opts, 'disks-port', 'int');
  if (port) i(VIR_MIGRATE_PARAM_DISKS_PORT, port);
  text('disks-uri', VIR_MIGRATE_PARAM_DISKS_URI);
  text('dname', VIR_MIGRATE_PARAM_DEST_NAME);
  // g_strsplit: every comma separates (no escape), each piece one string parameter of the same name.
  for (const [opt, field] of [
    ['migrate-disks', VIR_MIGRATE_PARAM_MIGRATE_DISKS],
    ['comp-methods', VIR_MIGRATE_PARAM_COMPRESSION],
  ] as const) {
    const v = strOpt(opts, opt);
    if (v !== undefined && v !== '') for (const piece of v.split(',')) s(field, piece);
  }
  for (const [opt, field] of [
    ['comp-mt-level', VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL],
    ['comp-mt-threads', VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS],
    ['comp-mt-dthreads', VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS],
  ] as const) {
    const v = numberOpt(opts, opt, 'int');
    if (v !== undefined) i(field, v);
  }
  const cache = numberOpt(opts, 'comp-xbzrle-cache', 'ullong');
  if (cache !== undefined) ull(VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE, cache);
  await file('xml', VIR_MIGRATE_PARAM_DEST_XML);
  await file('persistent-xml', VIR_MIGRATE_PARAM_PERSIST_XML);
  for (const [opt, field] of [
    ['auto-converge-initial', VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL],
    ['auto-converge-increment', VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT],
  ] as const) {
    const v = numberOpt(opts, opt, 'int');
    if (v !== undefined) i(field, v);
  }
  const postcopyBw = numberOpt(opts, 'postcopy-bandwidth', 'ullong');
  if (postcopyBw !== undefined) ull(VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY, postcopyBw);
  const conns = numberOpt(opts, 'parallel-connections', 'int');
  if (conns !== undefined) i(VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, conns);
  const bw = numberOpt(opts, 'bandwidth', 'ullong');
  if (bw !== undefined) ull(VIR_MIGRATE_PARAM_BANDWIDTH, bw);
  text('tls-destination', VIR_MIGRATE_PARAM_TLS_DESTINATION);
  return params;
}

/** The flags of the options, as doMigrate sets them (with its check of --copy-storage-synchronous-writes). */
function migrateFlags(opts: ParsedOptions): number {
  let flags = 0;
  for (const [name, bit] of [...MIGRATE_FLAGS, ...LATE_FLAGS]) {
    if (!opts.bool(name) || bit === 0) continue;
    if (bit === VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES && !(flags & (VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC))) {
      throw new CliError(["'--copy-storage-synchronous-writes' requires one of '--copy-storage-all', 'copy-storage-inc'"]);
    }
    flags |= bit;
  }
  return flags;
}

// ---------------------------------------------------------------------------------------------
// Watching the job (virshWatchJob)

/** `\rLabel: [ NN %]` on stderr, as virshPrintJobProgress writes it. */
function printProgress(ctx: CommandContext, label: string, remaining: bigint, total: bigint): void {
  const pct = remaining === 0n ? 100 : Math.min(99, Math.trunc(100 - (Number(remaining) * 100) / Number(total)));
  ctx.printError?.(`\r${label}: [${String(pct).padStart(3)} %]`);
}

/**
 * Runs `work` (the migration) as virshWatchJob watches it: with `verbose`,
 * the job's progress every 500 ms and `[100 %]` when it succeeds; after
 * `timeoutSec` (when not 0), `onTimeout` once; an interrupt (Ctrl-C) on a
 * terminal aborts the job ({@link abortJobOnInterrupt}).
 */
async function watchJob(
  ctx: CommandContext,
  dom: RemoteNonnullDomain,
  work: Promise<void>,
  how: { readonly verbose: boolean; readonly timeoutSec: number; readonly onTimeout: () => Promise<unknown>; readonly label: string },
): Promise<void> {
  const done = new AbortController();
  const settled = work.finally(() => done.abort());
  const poll = async (): Promise<void> => {
    while (!done.signal.aborted) {
      await delay(500, done.signal).catch(() => {});
      if (done.signal.aborted) return;
      const info = await ctx.conn.raw.domainGetJobInfo(dom).catch(() => null);
      if (info && info.dataTotal > 0n && !done.signal.aborted) printProgress(ctx, how.label, info.dataRemaining, info.dataTotal);
    }
  };
  const timer = how.timeoutSec > 0 ? setTimeout(() => void how.onTimeout().catch(() => {}), how.timeoutSec * 1000) : null;
  const polling = how.verbose ? poll() : Promise.resolve();
  try {
    await abortJobOnInterrupt(ctx, dom, () => settled);
  } finally {
    if (timer) clearTimeout(timer);
    await polling;
  }
  if (how.verbose) printProgress(ctx, how.label, 0n, 1n);
}

// ---------------------------------------------------------------------------------------------
// migrate (cmdMigrate)

async function migrate(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  exclusive(opts, ['live', 'offline'], ['timeout-suspend', 'timeout-postcopy']);
  requireOption(opts, 'postcopy-after-precopy', 'postcopy');
  requireOption(opts, 'postcopy-resume', 'postcopy');
  requireOption(opts, 'timeout-postcopy', 'postcopy');
  requireOption(opts, 'persistent-xml', 'persistent');
  requireOption(opts, 'tls-destination', 'tls');
  const dom = await lookupDomain(ctx.conn, opts.required('domain'));
  const timeoutSec = Number(numberOpt(opts, 'timeout', 'uint') ?? 0n);
  if (timeoutSec > 0 && !opts.bool('live')) throw new CliError(['migrate: Unexpected timeout for offline migration']);
  const postcopyOnTimeout = opts.bool('timeout-postcopy');
  if (timeoutSec === 0 && (opts.bool('timeout-suspend') || postcopyOnTimeout)) {
    throw new CliError(['migrate: Unexpected --timeout-* option without --timeout']);
  }
  const raw = ctx.conn.raw;
  const startPostCopy = (): Promise<void> => raw.domainMigrateStartPostCopy(dom, 0);
  let iteration: Unsubscribe | null = null;
  let dconn: Connection | null = null;
  try {
    if (opts.bool('postcopy-after-precopy')) {
      // virshMigrateIteration: after the first pass of pre-copy, switch to post-copy.
      iteration = await call(() =>
        ctx.conn.events.onDomain('migration-iteration', (ev) => void (ev.iteration === 2 && startPostCopy().catch(() => {})), { domain: dom }),
      );
    }
    const unmanaged = opts.bool('p2p') || opts.bool('direct');
    if (!unmanaged) {
      const desturi = strOpt(opts, 'desturi') ?? opts.required('desturi');
      if (!ctx.shell) throw new CliError(['no session to connect to the destination']);
      dconn = await ctx.shell.open(desturi);
    }
    // tsvirsh's --progress (bytes, rate, ETA on stderr) reads the same job as virsh's --verbose.
    const work = progressOfJob(ctx, 'migrate', dom, wantsProgress(opts), async (): Promise<void> => {
      const desturi = strOpt(opts, 'desturi') ?? opts.required('desturi');
      const params = await migrateParams(ctx, opts);
      const flags = migrateFlags(opts);
      try {
        if (dconn) await migrateDomain3(ctx.conn, dom, dconn, params, flags);
        else await migrateDomainToUri(ctx.conn, dom, { api: 'virDomainMigrateToURI3', flags, dconnuri: desturi, params });
      } catch (err) {
        throw daemonError(err);
      }
    });
    await watchJob(ctx, dom, work, {
      verbose: opts.bool('verbose'),
      timeoutSec,
      onTimeout: () => (postcopyOnTimeout ? startPostCopy() : raw.domainSuspend(dom)),
      label: 'Migration',
    });
  } finally {
    await dconn?.close().catch(() => {});
    await iteration?.().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------

/** The commands of this module, in virsh's order. */
export const migrateCommands: readonly CommandSpec[] = [
  {
    description: 'Migrate domain to another host.  Add --live for live migration.',
    name: 'migrate',
    group: GROUP,
    help: 'migrate domain to another host',
    options: MIGRATE_OPTIONS,
    aliases: optionAliases({ tunneled: 'tunnelled' }),
    extensions: ['progress'],
    run: migrate,
  },
  command(
    'migrate-setmaxdowntime',
    'set maximum tolerable downtime',
    'Set maximum tolerable downtime of a domain which is being live-migrated to another host.',
    [valueOpt('downtime', 'int', 'maximum tolerable downtime (in milliseconds) for migration', { required: true })],
    async (ctx, opts) => {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const downtime = numberOpt(opts, 'downtime', 'ullong') ?? 0n;
      if (downtime < 1n) throw new CliError(['migrate: Invalid downtime']);
      await call(() => ctx.conn.raw.domainMigrateSetMaxDowntime(dom, downtime, 0));
    },
  ),
  command(
    'migrate-getmaxdowntime',
    'get maximum tolerable downtime',
    'Get maximum tolerable downtime of a domain which is being live-migrated to another host.',
    [],
    async (ctx, opts) => {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      ctx.print(`${await call(() => ctx.conn.raw.domainMigrateGetMaxDowntime(dom, 0))}\n`);
    },
  ),
  command(
    'migrate-compcache',
    'get/set compression cache size',
    'Get/set size of the cache (in bytes) used for compressing repeatedly transferred memory pages during live migration.',
    [valueOpt('size', 'int', 'requested size of the cache (in bytes) used for compression', { named: true })],
    async (ctx, opts) => {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const size = numberOpt(opts, 'size', 'ullong');
      if (size !== undefined) await call(() => ctx.conn.raw.domainMigrateSetCompressionCache(dom, size, 0));
      const now = await call(() => ctx.conn.raw.domainMigrateGetCompressionCache(dom, 0));
      ctx.print(`Compression cache: ${prettyCapacity3(now)}`);
    },
  ),
  command(
    'migrate-setspeed',
    'Set the maximum migration bandwidth',
    'Set the maximum migration bandwidth (in MiB/s) for a domain which is being migrated to another host.',
    [valueOpt('bandwidth', 'int', 'migration bandwidth limit in MiB/s', { required: true }), flag('postcopy', 'set post-copy migration bandwidth')],
    async (ctx, opts) => {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const bandwidth = numberOpt(opts, 'bandwidth', 'ullong-wrap') ?? 0n;
      const flags = opts.bool('postcopy') ? VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY : 0;
      await call(() => ctx.conn.raw.domainMigrateSetMaxSpeed(dom, bandwidth, flags));
    },
  ),
  command(
    'migrate-getspeed',
    'Get the maximum migration bandwidth',
    'Get the maximum migration bandwidth (in MiB/s) for a domain.',
    [flag('postcopy', 'get post-copy migration bandwidth')],
    async (ctx, opts) => {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const flags = opts.bool('postcopy') ? VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY : 0;
      ctx.print(`${await call(() => ctx.conn.raw.domainMigrateGetMaxSpeed(dom, flags))}\n`);
    },
  ),
  command(
    'migrate-postcopy',
    'Switch running migration from pre-copy to post-copy',
    'Switch running migration from pre-copy to post-copy. The migration must have been started with --postcopy option.',
    [],
    async (ctx, opts) => {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainMigrateStartPostCopy(dom, 0));
    },
  ),
];
