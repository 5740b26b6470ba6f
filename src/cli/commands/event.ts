/**
 * Event commands (event, net-event, pool-event, nodedev-event, secret-event,
 * qemu-monitor-event), with virsh's output (tools/virsh-domain-event.c,
 * virsh-network.c, virsh-pool.c, virsh-nodedev.c, virsh-secret.c,
 * virsh-domain.c): each registers through `conn.events`, prints one line (or
 * block) per event, and ends on the first event, the timeout or an
 * interrupt with `events received: N`; it fails (silently) when none came.
 */
import type { Unsubscribe } from '../../api/events.js';
import type { DomainEvent } from '../../api/events/types.js';
import type { TypedParams } from '../../api/values.js';
import type { RemoteNonnullDomain, RemoteNonnullNetwork, RemoteNonnullSecret, RemoteNonnullStoragePool } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { parseUuid } from '../../api/uuid.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { daemonError } from '../support/failures.js';
import { flag, valueOpt, exclusive, strOpt } from '../support/options.js';
import { typedValueText } from '../support/params.js';
import { formatUuid } from '../support/format.js';
import { lookupDomain, lookupPoolBy, lookupNetworkBy, lookupNodeDevice } from '../support/lookup.js';
import { prettyJson } from '../support/json.js';

// ---------------------------------------------------------------------------
// Names virsh 9.0 prints

/** virsh 9.0's domain event names, in its order (`event --list`, and the order `--all` registers them). */
const DOMAIN_EVENTS = [
  'lifecycle',
  'reboot',
  'rtc-change',
  'watchdog',
  'io-error',
  'graphics',
  'io-error-reason',
  'control-error',
  'block-job',
  'disk-change',
  'tray-change',
  'pm-wakeup',
  'pm-suspend',
  'balloon-change',
  'pm-suspend-disk',
  'device-removed',
  'block-job-2',
  'tunable',
  'agent-lifecycle',
  'device-added',
  'migration-iteration',
  'job-completed',
  'device-removal-failed',
  'metadata-change',
  'block-threshold',
  'memory-failure',
  'memory-device-size-change',
] as const;
type DomainEventKind = (typeof DOMAIN_EVENTS)[number];

const LIFECYCLE = ['Defined', 'Undefined', 'Started', 'Suspended', 'Resumed', 'Stopped', 'Shutdown', 'PMSuspended', 'Crashed'];
const LIFECYCLE_DETAILS: readonly (readonly string[])[] = [
  ['Added', 'Updated', 'Renamed', 'Snapshot'],
  ['Removed', 'Renamed'],
  ['Booted', 'Migrated', 'Restored', 'Snapshot', 'Event wakeup'],
  ['Paused', 'Migrated', 'I/O Error', 'Watchdog', 'Restored', 'Snapshot', 'API error', 'Post-copy', 'Post-copy Error'],
  ['Unpaused', 'Migrated', 'Snapshot', 'Post-copy', 'Post-copy Error'],
  ['Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'Snapshot'],
  ['Finished', 'Finished after guest request', 'Finished after host request'],
  ['Memory', 'Disk'],
  ['Panicked', 'Crashloaded'],
];
const WATCHDOG_ACTIONS = ['none', 'pause', 'reset', 'poweroff', 'shutdown', 'debug', 'inject-nmi'];
const IO_ERROR_ACTIONS = ['none', 'pause', 'report'];
const GRAPHICS_PHASES = ['connect', 'initialize', 'disconnect'];
const GRAPHICS_FAMILIES = ['IPv4', 'IPv6', 'unix'];
const BLOCK_JOB_STATUS = ['completed', 'failed', 'canceled', 'ready'];
const DISK_CHANGE_REASONS = ['changed', 'dropped'];
const TRAY_CHANGE_REASONS = ['opened', 'closed'];
const AGENT_STATES = ['unknown', 'connected', 'disconnected'];
const AGENT_REASONS = ['unknown', 'domain started', 'channel event'];
const METADATA_TYPES = ['description', 'title', 'element'];
const MEMORY_FAILURE_RECIPIENTS = ['hypervisor', 'guest'];
const MEMORY_FAILURE_ACTIONS = ['ignore', 'inject', 'fatal', 'reset'];

/** virsh's name of a block job type (virshDomainBlockJobToString), shared with the block job commands. */
export function blockJobTypeName(type: number): string {
  return ['Unknown', 'Block Pull', 'Block Copy', 'Block Commit', 'Active Block Commit', 'Backup'][type] ?? 'Unknown';
}

/** A name from a table, or `fallback` (virsh's `unknown`, or `unsupported value` for its UNKNOWNSTR). */
const nameOf = (table: readonly string[], value: number, fallback = 'unknown'): string => table[value] ?? fallback;
/** `<null>` for a missing string, as glibc's printf and virsh's NULLSTR write it. */
const nullstr = (s: string | null | undefined): string => s ?? '<null>';

const paramLines = (params: TypedParams): string =>
  Object.entries(params)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `\t${k}: ${typedValueText(x)}\n`))
    .join('');

/** The text virsh prints for one domain event. */
function domainEventText(kind: DomainEventKind, ev: DomainEvent): string {
  const head = `event '${kind}' for domain '${ev.domain.name}'`;
  switch (ev.kind) {
    case 'lifecycle':
      return `${head}: ${nameOf(LIFECYCLE, ev.eventCode)} ${nameOf(LIFECYCLE_DETAILS[ev.eventCode] ?? [], ev.detailCode)}\n`;
    case 'rtc-change':
      return `${head}: ${ev.offset}\n`;
    case 'watchdog':
      return `${head}: ${nameOf(WATCHDOG_ACTIONS, ev.action)}\n`;
    case 'io-error':
      return `${head}: ${ev.srcPath} (${ev.devAlias}) ${nameOf(IO_ERROR_ACTIONS, ev.action)}\n`;
    case 'io-error-reason':
      return `${head}: ${ev.srcPath} (${ev.devAlias}) ${nameOf(IO_ERROR_ACTIONS, ev.action)} due to ${ev.reason}\n`;
    case 'graphics': {
      const addr = (a: { family: number; node: string; service: string }): string => `${nameOf(GRAPHICS_FAMILIES, a.family)} ${a.node} ${a.service}`;
      const ids = ev.subject.map((s) => `\t${s.type}=${s.name}\n`).join('');
      return `${head}: ${nameOf(GRAPHICS_PHASES, ev.phase)} local[${addr(ev.local)}] remote[${addr(ev.remote)}] ${ev.authScheme}\n${ids}`;
    }
    case 'block-job':
      return `${head}: ${blockJobTypeName(ev.type)} for ${ev.path} ${nameOf(BLOCK_JOB_STATUS, ev.status)}\n`;
    case 'block-job-2':
      return `${head}: ${blockJobTypeName(ev.type)} for ${ev.dst} ${nameOf(BLOCK_JOB_STATUS, ev.status)}\n`;
    case 'disk-change':
      return `event 'disk-change' for domain '${ev.domain.name}' disk ${ev.devAlias}: ${nullstr(ev.oldSrcPath)} -> ${nullstr(ev.newSrcPath)}: ${nameOf(DISK_CHANGE_REASONS, ev.reason)}\n`;
    case 'tray-change':
      return `event 'tray-change' for domain '${ev.domain.name}' disk ${ev.devAlias}: ${nameOf(TRAY_CHANGE_REASONS, ev.reason)}\n`;
    case 'balloon-change':
      return `${head}: ${ev.actual}KiB\n`;
    case 'device-removed':
    case 'device-added':
    case 'device-removal-failed':
      return `${head}: ${ev.devAlias}\n`;
    case 'tunable':
    case 'job-completed':
      return `${head}:\n${paramLines(ev.params)}`;
    case 'agent-lifecycle':
      return `${head}: state: '${nameOf(AGENT_STATES, ev.state, 'unsupported value')}' reason: '${nameOf(AGENT_REASONS, ev.reason, 'unsupported value')}'\n`;
    case 'migration-iteration':
      return `${head}: iteration: '${ev.iteration}'\n`;
    case 'metadata-change':
      return `${head}: type ${nameOf(METADATA_TYPES, ev.type, 'unsupported value')}, uri ${nullstr(ev.nsuri)}\n`;
    case 'block-threshold':
      return `${head}: dev: ${ev.dev}(${nullstr(ev.path)}) ${ev.threshold} ${ev.excess}\n`;
    case 'memory-failure':
      return (
        `${head}:\nrecipient: ${nameOf(MEMORY_FAILURE_RECIPIENTS, ev.recipient, 'unsupported value')}\n` +
        `action: ${nameOf(MEMORY_FAILURE_ACTIONS, ev.action, 'unsupported value')}\n` +
        `flags:\n\taction required: ${ev.flags & 1 ? 1 : 0}\n\trecursive: ${ev.flags & 2 ? 1 : 0}\n`
      );
    case 'memory-device-size-change':
      return `${head}:\nalias: ${ev.alias}\nsize: ${ev.size}\n`;
    default:
      // reboot, control-error and the power management events carry nothing more.
      return `${head}\n`;
  }
}

// ---------------------------------------------------------------------------
// Waiting for events (vshEventStart / vshEventWait / vshEventCleanup)

/** Prints one event: its plain text, or with a timestamp (some commands word that one differently). */
type Emit = (text: string, stamped?: (timestamp: string) => string) => void;

/** The time as virTimeStringNowRaw writes it: `2024-05-01 12:34:56.789+0000` (UTC). */
function timestampNow(): string {
  return `${new Date().toISOString().replace('T', ' ').replace('Z', '')}+0000`;
}

/** `--timeout` in milliseconds as vshCommandOptTimeoutToMs reads it (0 without it); shared with the block job commands. */
export function timeoutMs(opts: ParsedOptions): number {
  const text = opts.string('timeout');
  if (text === undefined) return 0;
  // virStrToLong_i: optional leading blanks and sign, decimal digits, nothing after.
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(text);
  const v = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(v) || v <= 0 || v > Math.floor(0x7fffffff / 1000)) {
    throw new CliError([`Numeric value '${text}' for <timeout> option is malformed or out of range`]);
  }
  return v * 1000;
}

/**
 * A filter object for the commands whose lookup failure virsh reports and
 * then ignores (net-event, pool-event, secret-event listen to every object
 * instead): its first error line is printed at once, the rest kept as the
 * command's final error should no event come.
 */
async function lenientLookup<T>(
  ctx: CommandContext,
  opts: ParsedOptions,
  name: string,
  find: (text: string) => Promise<T>,
): Promise<{ obj: T | undefined; pending: readonly string[] }> {
  try {
    const text = strOpt(opts, name);
    return { obj: text === undefined ? undefined : await find(text), pending: [] };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    const [first, ...rest] = err.lines;
    ctx.printError?.(`error: ${first}\n`);
    return { obj: undefined, pending: rest };
  }
}

/**
 * virsh's event loop: registers (through `register`, which returns the
 * unsubscribers), waits for the first event (all of them with `--loop`), the
 * timeout or an interrupt, prints `events received: N` and deregisters. No
 * event makes the command fail with `pending` (the error lines left over).
 */
async function waitForEvents(
  ctx: CommandContext,
  opts: ParsedOptions,
  timeout: number,
  register: (emit: Emit) => Promise<readonly Unsubscribe[]>,
  pending: readonly string[] = [],
): Promise<void> {
  const loop = opts.bool('loop');
  const withTime = opts.bool('timestamp');
  let count = 0;
  let finish: (why: 'done' | 'timeout' | 'interrupt') => void = () => {};
  const ended = new Promise<'done' | 'timeout' | 'interrupt'>((resolve) => (finish = resolve));
  const emit: Emit = (text, stamped) => {
    // Without --loop only the first event counts (virshEventPrint).
    if (!loop && count) return;
    if (withTime) {
      const ts = timestampNow();
      ctx.print(stamped ? stamped(ts) : `${ts}: ${text}`);
    } else {
      ctx.print(text);
    }
    count++;
    if (!loop) finish('done');
  };
  // The timer starts before registering, as vshEventStart does.
  const timer = timeout > 0 ? setTimeout(() => finish('timeout'), timeout) : null;
  const onInterrupt = (): void => finish('interrupt');
  ctx.interrupted?.addEventListener('abort', onInterrupt, { once: true });
  if (ctx.interrupted?.aborted) finish('interrupt');
  const unsubscribers: Unsubscribe[] = [];
  let failure: unknown = null;
  try {
    unsubscribers.push(...(await register(emit)));
    const why = await ended;
    if (why === 'interrupt') ctx.print('event loop interrupted\n');
    if (why === 'timeout') ctx.print('event loop timed out\n');
    ctx.print(`events received: ${count}\n`);
  } finally {
    if (timer) clearTimeout(timer);
    ctx.interrupted?.removeEventListener('abort', onInterrupt);
    for (const off of unsubscribers) {
      try {
        await off();
      } catch (err) {
        failure ??= err;
      }
    }
  }
  if (failure) throw new CliError([failure instanceof Error ? failure.message : String(failure)], { cause: failure });
  if (!count) throw new CliError(pending);
}

// ---------------------------------------------------------------------------
// Commands

const LOOP = flag('loop', 'loop until timeout or interrupt, rather than one-shot');
const TIMEOUT: OptionSpec = valueOpt('timeout', 'int', 'timeout seconds');
const LIST = flag('list', 'list valid event types');
const TIMESTAMP = flag('timestamp', 'show timestamp for each printed event');
const EVENT: OptionSpec = valueOpt('event', 'string', 'which event type to wait for');

/** A secret by UUID (virshCommandOptSecret): libvirt itself rejects text that is no UUID. */
async function lookupSecret(ctx: CommandContext, text: string): Promise<RemoteNonnullSecret> {
  const uuid = parseUuid(text);
  try {
    if (!uuid) throw new Error('uuidstr in virSecretLookupByUUIDString must be a valid UUID');
    return await ctx.conn.raw.secretLookupByUUID(uuid);
  } catch (err) {
    if (uuid && !(err instanceof LibvirtError)) throw err;
    throw new CliError([`failed to get secret '${text}'`, (err as Error).message], { cause: err });
  }
}

/** Lifecycle names of the other families, as virsh 9.0 prints them. */
const NETWORK_LIFECYCLE = ['Defined', 'Undefined', 'Started', 'Stopped'];
const POOL_LIFECYCLE = ['Defined', 'Undefined', 'Started', 'Stopped', 'Created', 'Deleted'];
const NODEDEV_LIFECYCLE = ['Created', 'Deleted', 'Defined', 'Undefined'];
const SECRET_LIFECYCLE = ['Defined', 'Undefined'];

/**
 * net-event, pool-event, nodedev-event and secret-event: `--list`, or one
 * event type (lifecycle or the family's other one) of every object or of
 * the one named.
 */
function objectEventCommand<T>(spec: {
  readonly name: string;
  /** The `help` group virsh lists it under. */
  readonly group: string;
  readonly description: string;
  readonly noun: string;
  readonly object: OptionSpec;
  /** virsh 9.0's event names for this family, lifecycle first. */
  readonly events: readonly string[];
  /** Looks up the filter object; `lenient` commands go on without it. */
  readonly lookup: (ctx: CommandContext, text: string) => Promise<T>;
  readonly lenient: boolean;
  /** Registers for one event; `say` gets the text for each. */
  readonly register: (ctx: CommandContext, event: string, obj: T | undefined, say: (subject: string, eventCode?: number) => void) => Promise<Unsubscribe>;
  /** virsh's names of the family's lifecycle event types. */
  readonly lifecycle: readonly string[];
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: `${spec.noun} Events`,
    description: spec.description,
    options: [spec.object, EVENT, LOOP, TIMEOUT, LIST, TIMESTAMP],
    async run(ctx, opts) {
      if (opts.bool('list')) {
        ctx.print(spec.events.map((e) => `${e}\n`).join(''));
        return;
      }
      const event = strOpt(opts, 'event');
      if (event === undefined) throw new CliError(['either --list or --event <type> is required']);
      if (!spec.events.includes(event)) throw new CliError([`unknown event type ${event}`]);
      const timeout = timeoutMs(opts);
      let obj: T | undefined;
      let pending: readonly string[] = [];
      if (spec.lenient) {
        ({ obj, pending } = await lenientLookup(ctx, opts, spec.object.name, (text) => spec.lookup(ctx, text)));
      } else {
        const text = strOpt(opts, spec.object.name);
        if (text !== undefined) obj = await spec.lookup(ctx, text);
      }
      const noun = spec.noun.toLowerCase();
      await waitForEvents(
        ctx,
        opts,
        timeout,
        async (emit) => {
          try {
            return [
              await spec.register(ctx, event, obj, (subject, eventCode) => {
                emit(
                  eventCode === undefined
                    ? `event '${event}' for ${noun} ${subject}\n`
                    : `event 'lifecycle' for ${noun} ${subject}: ${nameOf(spec.lifecycle, eventCode)}\n`,
                );
              }),
            ];
          } catch (err) {
            throw daemonError(err);
          }
        },
        pending,
      );
    },
  };
}

/** The commands of this group. */
export const eventCommands: readonly CommandSpec[] = [
  {
    name: 'event',
    group: 'Domain Events',
    help: 'Domain Events',
    description: 'List event types, or wait for domain events to occur',
    options: [
      valueOpt('domain', 'string', 'filter by domain name, id or uuid'),
      EVENT,
      flag('all', 'wait for all events instead of just one type'),
      LOOP,
      TIMEOUT,
      LIST,
      TIMESTAMP,
    ],
    async run(ctx, opts) {
      exclusive(opts, ['all', 'event'], ['list', 'all'], ['list', 'event']);
      if (opts.bool('list')) {
        ctx.print(DOMAIN_EVENTS.map((e) => `${e}\n`).join(''));
        return;
      }
      const event = strOpt(opts, 'event');
      if (event === undefined && !opts.bool('all')) throw new CliError(['one of --list, --all, or --event <type> is required']);
      const kinds = DOMAIN_EVENTS.filter((e) => event === undefined || e === event);
      if (!kinds.length) throw new CliError([`unknown event type ${event}`]);
      const timeout = timeoutMs(opts);
      const text = strOpt(opts, 'domain');
      const domain: RemoteNonnullDomain | undefined = text === undefined ? undefined : await lookupDomain(ctx.conn, text);
      await waitForEvents(ctx, opts, timeout, async (emit) => {
        const offs: Unsubscribe[] = [];
        for (const kind of kinds) {
          try {
            offs.push(await ctx.conn.events.onDomain(DOMAIN_EVENTS.indexOf(kind), (ev) => emit(domainEventText(kind, ev as DomainEvent)), { domain }));
          } catch (err) {
            // With --all, a later registration may fail on an older daemon: virsh ignores it.
            if (offs.length) continue;
            throw daemonError(err);
          }
        }
        return offs;
      });
    },
  },
  objectEventCommand<RemoteNonnullNetwork>({
    name: 'net-event',
    description: 'List event types, or wait for network events to occur',
    group: 'Networking',
    noun: 'Network',
    object: valueOpt('network', 'string', 'filter by network name or uuid'),
    events: ['lifecycle'],
    lifecycle: NETWORK_LIFECYCLE,
    lenient: true,
    lookup: (ctx, text) => lookupNetworkBy(ctx.conn, text, { uuid: true, name: true }),
    register: (ctx, _event, network, say) => ctx.conn.events.onNetwork('lifecycle', (ev) => say(ev.network.name, ev.eventCode), { network }),
  }),
  objectEventCommand<RemoteNonnullStoragePool>({
    name: 'pool-event',
    description: 'List event types, or wait for storage pool events to occur',
    group: 'Storage Pool',
    noun: 'Storage Pool',
    object: valueOpt('pool', 'string', 'filter by storage pool name or uuid'),
    events: ['lifecycle', 'refresh'],
    lifecycle: POOL_LIFECYCLE,
    lenient: true,
    lookup: (ctx, text) => lookupPoolBy(ctx.conn, text, { uuid: true, name: true }),
    register: (ctx, event, pool, say) =>
      event === 'lifecycle'
        ? ctx.conn.events.onStoragePool('lifecycle', (ev) => say(ev.pool.name, ev.eventCode), { pool })
        : ctx.conn.events.onStoragePool('refresh', (ev) => say(ev.pool.name), { pool }),
  }),
  objectEventCommand<{ name: string }>({
    name: 'nodedev-event',
    description: 'List event types, or wait for node device events to occur',
    group: 'Node Device',
    noun: 'Node Device',
    object: valueOpt('device', 'string', 'filter by node device name'),
    events: ['lifecycle', 'update'],
    lifecycle: NODEDEV_LIFECYCLE,
    lenient: false,
    lookup: (ctx, text) => lookupNodeDevice(ctx.conn, text),
    register: (ctx, event, device, say) =>
      event === 'lifecycle'
        ? ctx.conn.events.onNodeDevice('lifecycle', (ev) => say(ev.device.name, ev.eventCode), { device })
        : ctx.conn.events.onNodeDevice('update', (ev) => say(ev.device.name), { device }),
  }),
  objectEventCommand<RemoteNonnullSecret>({
    name: 'secret-event',
    description: 'List event types, or wait for secret events to occur',
    group: 'Secret',
    noun: 'Secret',
    object: valueOpt('secret', 'string', 'filter by secret name or uuid'),
    events: ['lifecycle', 'value-changed'],
    lifecycle: SECRET_LIFECYCLE,
    lenient: true,
    lookup: lookupSecret,
    register: (ctx, event, secret, say) =>
      event === 'lifecycle'
        ? ctx.conn.events.onSecret('lifecycle', (ev) => say(formatUuid(ev.secret.uuid), ev.eventCode), { secret })
        : ctx.conn.events.onSecret('value-changed', (ev) => say(formatUuid(ev.secret.uuid)), { secret }),
  }),
  {
    name: 'qemu-monitor-event',
    group: 'Domain Management',
    help: 'QEMU Monitor Events',
    description: 'Listen for QEMU Monitor Events',
    options: [
      valueOpt('domain', 'string', 'filter by domain name, id or uuid'),
      { ...EVENT, help: 'filter by event name' },
      flag('pretty', 'pretty-print any JSON output'),
      LOOP,
      TIMEOUT,
      flag('regex', 'treat event as a regex rather than literal filter'),
      flag('no-case', 'treat event case-insensitively'),
      TIMESTAMP,
    ],
    async run(ctx, opts) {
      const timeout = timeoutMs(opts);
      const event = strOpt(opts, 'event');
      const text = strOpt(opts, 'domain');
      const domain = text === undefined ? undefined : await lookupDomain(ctx.conn, text);
      const pretty = opts.bool('pretty');
      await waitForEvents(ctx, opts, timeout, async (emit) => {
        try {
          return [
            await ctx.conn.events.onQemuMonitor(
              (ev) => {
                const details = nullstr(ev.details === null ? null : pretty ? prettyJson(ev.details) : ev.details);
                const name = ev.domain.name;
                emit(
                  `event ${ev.event} at ${ev.seconds}.${String(ev.micros).padStart(6, '0')} for domain '${name}': ${details}\n`,
                  (ts) => `${ts}: event ${ev.event} for domain '${name}': ${details}\n`,
                );
              },
              { domain, event, flags: { regex: opts.bool('regex'), nocase: opts.bool('no-case') } },
            ),
          ];
        } catch (err) {
          throw daemonError(err);
        }
      });
    },
  },
];
