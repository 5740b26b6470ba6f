/**
 * Starting and stopping domains, with virsh 9.0.0's options, checks, output
 * and errors (tools/virsh-domain.c cmdCreate, cmdStart, cmdShutdown,
 * cmdReboot, cmdUndefine):
 *
 * - `create` and `start` take `--console` (the session of
 *   support/console-session.ts once the domain runs), `--pass-fds` (parsed
 *   as virsh parses it, then refused: support/pass-fds.ts) and
 *   `--reset-nvram`; `start` looks a domain up by name or UUID only, and
 *   emulates `--force-boot` where the daemon does not know the flag;
 * - `shutdown` and `reboot` take `--mode` (comma-separated methods);
 * - `undefine` removes managed save images, snapshot and checkpoint
 *   metadata, NVRAM and TPM state as asked, with virsh's checks of what
 *   would be stranded, and then the storage volumes of `--storage` or
 *   `--remove-all-storage` (support/undefine-storage.ts).
 *
 * The messages name the domain as the user typed it, as virsh's do, except
 * where virsh asks the domain for its name (create, start).
 */
import {
  VIR_DOMAIN_REBOOT_ACPI_POWER_BTN,
  VIR_DOMAIN_REBOOT_GUEST_AGENT,
  VIR_DOMAIN_REBOOT_INITCTL,
  VIR_DOMAIN_REBOOT_PARAVIRT,
  VIR_DOMAIN_REBOOT_SIGNAL,
  VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
  VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
  VIR_DOMAIN_SHUTDOWN_INITCTL,
  VIR_DOMAIN_SHUTDOWN_PARAVIRT,
  VIR_DOMAIN_SHUTDOWN_SIGNAL,
  VIR_DOMAIN_SNAPSHOT_LIST_METADATA,
  VIR_DOMAIN_START_AUTODESTROY,
  VIR_DOMAIN_START_BYPASS_CACHE,
  VIR_DOMAIN_START_FORCE_BOOT,
  VIR_DOMAIN_START_PAUSED,
  VIR_DOMAIN_START_RESET_NVRAM,
  VIR_DOMAIN_START_VALIDATE,
  VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
  VIR_DOMAIN_UNDEFINE_KEEP_NVRAM,
  VIR_DOMAIN_UNDEFINE_KEEP_TPM,
  VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
  VIR_DOMAIN_UNDEFINE_NVRAM,
  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
  VIR_DOMAIN_UNDEFINE_TPM,
  VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { CliError, type CommandContext, type CommandSpec, type OptionSpec, type ParsedOptions } from '../command.js';
import { daemonError, isLibvirtError, VshFailure, vshFail } from '../support/failures.js';
import { lookupDomain } from '../support/lookup.js';
import { aliasOpt, DOMAIN, domainOpt, exclusive, flag, optionAliases, quietText, requireOption, strOpt, valueOpt } from '../support/options.js';
import { cannotPassFds, passFds } from '../support/pass-fds.js';
import { removeVolumes, undefineVolumes } from '../support/undefine-storage.js';

const GROUP = 'Domain Management';

const CONSOLE: OptionSpec = flag('console', 'attach to console after creation');
const PAUSED: OptionSpec = flag('paused', 'leave the guest paused after creation');
const AUTODESTROY: OptionSpec = flag('autodestroy', 'automatically destroy the guest when virsh disconnects');
const PASS_FDS: OptionSpec = valueOpt('pass-fds', 'string', 'pass file descriptors N,M,... to the guest');
const RESET_NVRAM: OptionSpec = flag('reset-nvram', 're-initialize NVRAM from its pristine template');

/** The flags of the options given (`[option, bit]`). */
function optionFlags(opts: ParsedOptions, table: readonly (readonly [string, number])[]): number {
  return table.reduce((flags, [name, bit]) => (opts.bool(name) ? flags | bit : flags), 0);
}

/** The console after create/start (cmdRunConsole, loaded only when asked for). */
async function attachConsole(ctx: CommandContext, dom: RemoteNonnullDomain): Promise<void> {
  const { runConsole } = await import('../support/console-session.js');
  await runConsole(ctx, dom, null, 0);
}

/** `--mode` of shutdown and reboot: comma-separated methods, OR-ed (cmdShutdown, cmdReboot). */
function modeFlags(opts: ParsedOptions, bits: Readonly<Record<string, number>>, unknown: (mode: string) => string): number {
  const text = strOpt(opts, 'mode');
  if (text === undefined) return 0;
  let flags = 0;
  for (const mode of text.split(',')) {
    const bit = Object.hasOwn(bits, mode) ? bits[mode] : undefined;
    if (bit === undefined) throw new CliError([unknown(mode)]);
    flags |= bit;
  }
  return flags;
}

const SHUTDOWN_MODES: Readonly<Record<string, number>> = {
  acpi: VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
  agent: VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
  initctl: VIR_DOMAIN_SHUTDOWN_INITCTL,
  signal: VIR_DOMAIN_SHUTDOWN_SIGNAL,
  paravirt: VIR_DOMAIN_SHUTDOWN_PARAVIRT,
};

const REBOOT_MODES: Readonly<Record<string, number>> = {
  acpi: VIR_DOMAIN_REBOOT_ACPI_POWER_BTN,
  agent: VIR_DOMAIN_REBOOT_GUEST_AGENT,
  initctl: VIR_DOMAIN_REBOOT_INITCTL,
  signal: VIR_DOMAIN_REBOOT_SIGNAL,
  paravirt: VIR_DOMAIN_REBOOT_PARAVIRT,
};

const MODE: OptionSpec = valueOpt('mode', 'string', 'shutdown mode: acpi|agent|initctl|signal|paravirt');

async function create(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const file = opts.required('file');
  const xml = await ctx.readFile(file);
  const fds = passFds(opts);
  const flags = optionFlags(opts, [
    ['paused', VIR_DOMAIN_START_PAUSED],
    ['autodestroy', VIR_DOMAIN_START_AUTODESTROY],
    ['validate', VIR_DOMAIN_START_VALIDATE],
    ['reset-nvram', VIR_DOMAIN_START_RESET_NVRAM],
  ]);
  if (fds) throw cannotPassFds();
  let dom: RemoteNonnullDomain;
  try {
    dom = await ctx.conn.raw.domainCreateXML(xml, flags);
  } catch (err) {
    throw vshFail(`Failed to create domain from ${file}`, err);
  }
  if (!ctx.quiet) ctx.print(`Domain '${dom.name}' created from ${file}\n`);
  if (!opts.bool('console')) return;
  // virsh's create ignores how the console went: its own messages are printed, libvirt's error
  // is never reported, and the command succeeds.
  try {
    await attachConsole(ctx, dom);
  } catch (err) {
    if (!(err instanceof VshFailure)) throw err;
    for (const line of err.own) ctx.printError?.(`error: ${line}\n`);
  }
}

async function start(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await lookupDomain(ctx.conn, opts.required('domain'), false);
  if (dom.id !== -1) throw new CliError(['Domain is already active']);
  const fds = passFds(opts);
  let flags = optionFlags(opts, [
    ['paused', VIR_DOMAIN_START_PAUSED],
    ['autodestroy', VIR_DOMAIN_START_AUTODESTROY],
    ['bypass-cache', VIR_DOMAIN_START_BYPASS_CACHE],
    ['force-boot', VIR_DOMAIN_START_FORCE_BOOT],
    ['reset-nvram', VIR_DOMAIN_START_RESET_NVRAM],
  ]);
  if (fds) throw cannotPassFds();
  const raw = ctx.conn.raw;
  let started = false;
  if (flags & VIR_DOMAIN_START_FORCE_BOOT) {
    // virsh emulates a forced boot for daemons that refuse the flag: the managed save goes first.
    try {
      await raw.domainCreateWithFlags(dom, flags);
      started = true;
    } catch (err) {
      if (!isLibvirtError(err, 'VIR_ERR_NO_SUPPORT') && !isLibvirtError(err, 'VIR_ERR_INVALID_ARG')) throw daemonError(err);
      const has = await raw.domainHasManagedSaveImage(dom, 0).catch(() => 0);
      if (has > 0) await raw.domainManagedSaveRemove(dom, 0).catch((e: unknown) => Promise.reject(daemonError(e)));
      flags &= ~VIR_DOMAIN_START_FORCE_BOOT;
    }
  }
  if (!started) {
    try {
      // virsh prefers the older call unless it has a flag to give.
      if (flags !== 0) await raw.domainCreateWithFlags(dom, flags);
      else await raw.domainCreate(dom);
    } catch (err) {
      throw vshFail(`Failed to start domain '${dom.name}'`, err);
    }
  }
  if (!ctx.quiet) ctx.print(`Domain '${dom.name}' started\n`);
  if (opts.bool('console')) await attachConsole(ctx, dom);
}

/** shutdown and reboot: `--mode` read before the domain is looked up; messages name the domain as typed. */
function stopCommand(spec: {
  readonly name: string;
  readonly help: string;
  readonly description: string;
  readonly modes: Readonly<Record<string, number>>;
  readonly unknown: (mode: string) => string;
  readonly act: (ctx: CommandContext, dom: RemoteNonnullDomain, flags: number) => Promise<unknown>;
  readonly done: string;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
    description: spec.description,
    options: [DOMAIN, MODE],
    async run(ctx, opts) {
      const flags = modeFlags(opts, spec.modes, spec.unknown);
      const text = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, text);
      try {
        await spec.act(ctx, dom, flags);
      } catch (err) {
        throw vshFail(`Failed to ${spec.name} domain '${text}'`, err);
      }
      if (!ctx.quiet) ctx.print(`Domain '${text}' ${spec.done}\n`);
    },
  };
}

/** A count virsh reads where the daemon may not support the call (NO_SUPPORT counts as none; other errors fail the command). */
async function countOrNone(call: () => Promise<number>): Promise<number> {
  try {
    return await call();
  } catch (err) {
    if (isLibvirtError(err, 'VIR_ERR_NO_SUPPORT')) return 0;
    throw daemonError(err);
  }
}

async function undefine(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  requireOption(opts, 'delete-storage-volume-snapshots', 'remove-all-storage');
  exclusive(opts, ['nvram', 'keep-nvram'], ['tpm', 'keep-tpm']);
  const volText = quietText(opts, 'storage');
  const removeAll = opts.bool('remove-all-storage');
  const wipe = opts.bool('wipe-storage');
  if (wipe && volText === undefined && !removeAll) throw new CliError(["'--wipe-storage' requires '--storage <string>' or '--remove-all-storage'"]);
  const managedSave = opts.bool('managed-save');
  const snapshotsMetadata = opts.bool('snapshots-metadata');
  const nvram = opts.bool('nvram');
  let flags = optionFlags(opts, [
    ['managed-save', VIR_DOMAIN_UNDEFINE_MANAGED_SAVE],
    ['snapshots-metadata', VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA],
    ['checkpoints-metadata', VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA],
    ['nvram', VIR_DOMAIN_UNDEFINE_NVRAM],
    ['keep-nvram', VIR_DOMAIN_UNDEFINE_KEEP_NVRAM],
    ['tpm', VIR_DOMAIN_UNDEFINE_TPM],
    ['keep-tpm', VIR_DOMAIN_UNDEFINE_KEEP_TPM],
  ]);
  // Whether undefining with flags strands nothing, even on older daemons.
  let managedSaveSafe = managedSave;
  let snapshotsSafe = snapshotsMetadata;
  const text = opts.required('domain');
  const dom = await lookupDomain(ctx.conn, text);
  const raw = ctx.conn.raw;
  let running: boolean;
  try {
    running = (await raw.domainIsActive(dom)) !== 0;
  } catch (err) {
    throw daemonError(err);
  }
  let hasManagedSave = 0;
  let hasSnapshots = 0;
  let hasSnapshotsMetadata = 0;
  if (!running) {
    // Managed save images and snapshots only hold an inactive domain back.
    hasManagedSave = await countOrNone(() => raw.domainHasManagedSaveImage(dom, 0));
    hasSnapshots = await countOrNone(() => raw.domainSnapshotNum(dom, 0));
    if (hasSnapshots) {
      try {
        hasSnapshotsMetadata = await raw.domainSnapshotNum(dom, VIR_DOMAIN_SNAPSHOT_LIST_METADATA);
        // A daemon that knows the flag knows every undefine flag.
        managedSaveSafe = snapshotsSafe = true;
      } catch {
        hasSnapshotsMetadata = hasSnapshots;
      }
    }
  }
  if (!hasManagedSave) {
    flags &= ~VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
    managedSaveSafe = true;
  }
  if (hasSnapshots === 0) snapshotsSafe = true;
  if (hasSnapshotsMetadata === 0) {
    flags &= ~VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    snapshotsSafe = true;
  }
  const volumes = volText !== undefined || removeAll ? await undefineVolumes(ctx, dom, { running, names: volText, all: removeAll }) : [];

  let done = false;
  if ((managedSaveSafe && snapshotsSafe) || nvram) {
    try {
      await raw.domainUndefineFlags(dom, flags);
      done = true;
    } catch (err) {
      if (nvram || (!isLibvirtError(err, 'VIR_ERR_NO_SUPPORT') && !isLibvirtError(err, 'VIR_ERR_INVALID_ARG'))) {
        throw vshFail(`Failed to undefine domain '${text}'`, err);
      }
    }
  }
  if (!done) {
    // The flags call is unsupported or unsafe: piece by piece.
    if (hasManagedSave) {
      if (!managedSave) throw new CliError(['Refusing to undefine while domain managed save image exists']);
      await raw.domainManagedSaveRemove(dom, 0).catch((err: unknown) => Promise.reject(daemonError(err)));
    }
    // Snapshot metadata alone cannot be removed without the flags call.
    if (hasSnapshotsMetadata) {
      throw new CliError([
        snapshotsMetadata
          ? `Unable to remove metadata of ${hasSnapshotsMetadata} snapshots`
          : `Refusing to undefine while ${hasSnapshotsMetadata} snapshots exist`,
      ]);
    }
    try {
      await raw.domainUndefine(dom);
    } catch (err) {
      throw vshFail(`Failed to undefine domain '${text}'`, err);
    }
  }
  if (!ctx.quiet) ctx.print(`Domain '${text}' has been undefined\n`);
  await removeVolumes(ctx, volumes, { wipe, flags: opts.bool('delete-storage-volume-snapshots') ? VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS : 0 });
}

/** Starting and stopping domains. */
export const lifecycleCommands: readonly CommandSpec[] = [
  {
    name: 'create',
    group: GROUP,
    help: 'create a domain from an XML file',
    description: 'Create a domain.',
    options: [
      valueOpt('file', 'string', 'file containing an XML domain description', { required: true }),
      CONSOLE,
      PAUSED,
      AUTODESTROY,
      PASS_FDS,
      flag('validate', 'validate the XML against the schema'),
      RESET_NVRAM,
    ],
    run: create,
  },
  {
    name: 'start',
    group: GROUP,
    help: 'start a (previously defined) inactive domain',
    description: 'Start a domain, either from the last managedsave\n    state, or via a fresh boot if no managedsave state\n    is present.',
    options: [
      domainOpt('name of the inactive domain'),
      CONSOLE,
      PAUSED,
      AUTODESTROY,
      flag('bypass-cache', 'avoid file system cache when loading'),
      flag('force-boot', 'force fresh boot by discarding any managed save'),
      PASS_FDS,
      RESET_NVRAM,
    ],
    run: start,
  },
  stopCommand({
    name: 'shutdown',
    help: 'gracefully shutdown a domain',
    description: 'Run shutdown in the target domain.',
    modes: SHUTDOWN_MODES,
    unknown: (m) => `Unknown mode ${m} value, expecting 'acpi', 'agent', 'initctl', 'signal', or 'paravirt'`,
    // virsh calls virDomainShutdownFlags only when it has a flag to give.
    act: (ctx, dom, flags) => (flags ? ctx.conn.raw.domainShutdownFlags(dom, flags) : ctx.conn.raw.domainShutdown(dom)),
    done: 'is being shutdown',
  }),
  stopCommand({
    name: 'reboot',
    help: 'reboot a domain',
    description: 'Run a reboot command in the target domain.',
    modes: REBOOT_MODES,
    unknown: (m) => `Unknown mode ${m} value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'`,
    act: (ctx, dom, flags) => ctx.conn.raw.domainReboot(dom, flags),
    done: 'is being rebooted',
  }),
  {
    name: 'undefine',
    group: GROUP,
    help: 'undefine a domain',
    description: 'Undefine an inactive domain, or convert persistent to transient.',
    options: [
      DOMAIN,
      flag('managed-save', 'remove domain managed state file'),
      valueOpt('storage', 'string', 'remove associated storage volumes (comma separated list of targets or source paths) (see domblklist)'),
      flag('remove-all-storage', 'remove all associated storage volumes (use with caution)'),
      aliasOpt('delete-snapshots', 'bool', 'delete-storage-volume-snapshots'),
      flag(
        'delete-storage-volume-snapshots',
        'delete snapshots associated with volume(s), requires --remove-all-storage (must be supported by storage driver)',
      ),
      flag('wipe-storage', 'wipe data on the removed volumes'),
      flag('snapshots-metadata', 'remove all domain snapshot metadata (vm must be inactive)'),
      flag('checkpoints-metadata', 'remove all domain checkpoint metadata (vm must be inactive)'),
      flag('nvram', 'remove nvram file'),
      flag('keep-nvram', 'keep nvram file'),
      flag('tpm', 'remove TPM state'),
      flag('keep-tpm', 'keep TPM state'),
    ],
    aliases: optionAliases({ 'delete-snapshots': 'delete-storage-volume-snapshots' }),
    run: undefine,
  },
];
