/**
 * Commands answered by the guest agent (tools/virsh-domain.c): filesystems,
 * guestinfo, SSH keys, passwords, the agent's timeout.
 */
import {
  VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND,
  VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE,
  VIR_DOMAIN_GUEST_INFO_DISKS,
  VIR_DOMAIN_GUEST_INFO_FILESYSTEM,
  VIR_DOMAIN_GUEST_INFO_HOSTNAME,
  VIR_DOMAIN_GUEST_INFO_INTERFACES,
  VIR_DOMAIN_GUEST_INFO_OS,
  VIR_DOMAIN_GUEST_INFO_TIMEZONE,
  VIR_DOMAIN_GUEST_INFO_USERS,
  VIR_DOMAIN_PASSWORD_ENCRYPTED,
} from '../../procedures/libvirt-api.gen.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { orFail } from '../support/failures.js';
import { flag, valueOpt, argvOpt, exclusive, requireOption, strOpt, strArg } from '../support/options.js';
import { numberOpt, smallNumberOpt } from '../support/numbers.js';
import { paramLines } from '../support/params.js';
import { formatTable } from '../support/table.js';
import { domainCommand, domainOf } from '../support/templates.js';

// --- guest agent ----------------------------------------------------------------------------

async function domfsinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const info = await orFail('Unable to get filesystem information', () => ctx.conn.raw.domainGetFSInfo(dom, 0));
  if (!info.info.length) {
    if (!ctx.quiet) ctx.print('No filesystems are mounted in the domain');
    return;
  }
  const rows = info.info.map((f) => [f.mountpoint, f.name, f.fstype, f.dev_aliases.join(',')]);
  ctx.print(formatTable(['Mountpoint', 'Name', 'Type', 'Target'], rows, ctx.quiet));
}

async function domfsFreezeThaw(ctx: CommandContext, opts: ParsedOptions, freeze: boolean): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const mountpoints = [...opts.list('mountpoint')];
  const n = freeze
    ? await orFail('Unable to freeze filesystems', () => ctx.conn.raw.domainFSFreeze(dom, mountpoints, 0))
    : await orFail('Unable to thaw filesystems', () => ctx.conn.raw.domainFSThaw(dom, mountpoints, 0));
  if (!ctx.quiet) ctx.print(`${freeze ? 'Froze' : 'Thawed'} ${n} filesystem(s)\n`);
}

async function domfstrim(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const minimum = numberOpt(opts, 'minimum', 'ullong') ?? 0n;
  const mountpoint = strOpt(opts, 'mountpoint') ?? null;
  await orFail('Unable to invoke fstrim', () => ctx.conn.raw.domainFSTrim(dom, mountpoint, minimum, 0));
}

const GUEST_INFO_TYPES: readonly (readonly [string, number])[] = [
  ['user', VIR_DOMAIN_GUEST_INFO_USERS],
  ['os', VIR_DOMAIN_GUEST_INFO_OS],
  ['timezone', VIR_DOMAIN_GUEST_INFO_TIMEZONE],
  ['hostname', VIR_DOMAIN_GUEST_INFO_HOSTNAME],
  ['filesystem', VIR_DOMAIN_GUEST_INFO_FILESYSTEM],
  ['disk', VIR_DOMAIN_GUEST_INFO_DISKS],
  ['interface', VIR_DOMAIN_GUEST_INFO_INTERFACES],
];

async function guestinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const types = GUEST_INFO_TYPES.reduce((t, [o, v]) => (opts.bool(o) ? t | v : t), 0);
  const dom = await domainOf(ctx, opts);
  const params = await ctx.conn.raw.domainGetGuestInfo(dom, types, 0);
  ctx.print(paramLines(params, 20));
}

async function getUserSshkeys(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const keys = await ctx.conn.raw.domainAuthorizedSSHKeysGet(dom, strArg(opts, 'user'), 0);
  ctx.print(keys.map((k) => `${k}\n`).join(''));
}

async function setUserSshkeys(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const user = strArg(opts, 'user');
  const file = strOpt(opts, 'file');
  const remove = opts.bool('remove');
  requireOption(opts, 'remove', 'file');
  exclusive(opts, ['reset', 'remove']);
  let flags = 0;
  if (remove) {
    flags |= VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE;
  } else if (!opts.bool('reset')) {
    flags |= VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND;
    if (file === undefined) throw new CliError(['Option --file is required']);
  }
  let keys: string[] = [];
  if (file !== undefined) {
    keys = (await ctx.readFile(file)).split('\n').filter((k) => k !== '' && !k.startsWith('#'));
    if (!keys.length) throw new CliError([`File ${file} contains no keys`]);
  }
  await ctx.conn.raw.domainAuthorizedSSHKeysSet(dom, user, keys, flags);
}

async function setUserPassword(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const user = strArg(opts, 'user');
  const password = strArg(opts, 'password');
  const dom = await domainOf(ctx, opts);
  await ctx.conn.raw.domainSetUserPassword(dom, user, password, opts.bool('encrypted') ? VIR_DOMAIN_PASSWORD_ENCRYPTED : 0);
  if (!ctx.quiet) ctx.print(`Password set successfully for ${user} in ${dom.name}`);
}

async function guestAgentTimeout(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  // Without --timeout virsh passes its variable as it was initialised: -2, the agent's default.
  const timeout = smallNumberOpt(opts, 'timeout', 'int') ?? -2;
  await ctx.conn.raw.domainAgentSetResponseTimeout(dom, timeout, 0);
}

/** The commands of this group. */
export const guestAgentCommands: readonly CommandSpec[] = [
  domainCommand({
    name: 'domfsinfo',
    help: "Get information of domain's mounted filesystems.",
    description: "Get information of domain's mounted filesystems.",
    options: [],
    run: domfsinfo,
  }),
  domainCommand({
    name: 'domfsfreeze',
    help: "Freeze domain's mounted filesystems.",
    description: "Freeze domain's mounted filesystems.",
    options: [argvOpt('mountpoint', 'mountpoint path to be frozen')],
    run: (ctx, opts) => domfsFreezeThaw(ctx, opts, true),
  }),
  domainCommand({
    name: 'domfsthaw',
    help: "Thaw domain's mounted filesystems.",
    description: "Thaw domain's mounted filesystems.",
    options: [argvOpt('mountpoint', 'mountpoint path to be thawed')],
    run: (ctx, opts) => domfsFreezeThaw(ctx, opts, false),
  }),
  domainCommand({
    name: 'domfstrim',
    help: "Invoke fstrim on domain's mounted filesystems.",
    description: "Invoke fstrim on domain's mounted filesystems.",
    options: [
      valueOpt('minimum', 'int', 'Just a hint to ignore contiguous free ranges smaller than this (Bytes)'),
      valueOpt('mountpoint', 'string', 'which mount point to trim'),
    ],
    run: domfstrim,
  }),
  domainCommand({
    name: 'guestinfo',
    help: 'query information about the guest (via agent)',
    description: "Use the guest agent to query various information from guest's point of view",
    options: [
      flag('user', 'report active users'),
      flag('os', 'report operating system information'),
      flag('timezone', 'report timezone information'),
      flag('hostname', 'report hostname'),
      flag('filesystem', 'report filesystem information'),
      flag('disk', 'report disk information'),
      flag('interface', 'report interface information'),
    ],
    run: guestinfo,
  }),
  domainCommand({
    name: 'get-user-sshkeys',
    help: 'list authorized SSH keys for given user (via agent)',
    description: 'Use the guest agent to query authorized SSH keys for given user',
    options: [valueOpt('user', 'string', 'user to list authorized keys for', { required: true })],
    run: getUserSshkeys,
  }),
  domainCommand({
    name: 'set-user-sshkeys',
    help: 'manipulate authorized SSH keys file for given user (via agent)',
    description: 'Append, reset or remove specified key from the authorized keys file for given user',
    options: [
      valueOpt('user', 'string', 'user to set authorized keys for', { required: true }),
      valueOpt('file', 'string', 'optional file to read keys from'),
      flag('reset', 'clear out authorized keys file before adding new keys'),
      flag('remove', 'remove keys from the authorized keys file'),
    ],
    run: setUserSshkeys,
  }),
  domainCommand({
    name: 'set-user-password',
    help: 'set the user password inside the domain',
    description: 'changes the password of the specified user inside the domain',
    options: [
      valueOpt('user', 'string', 'the username', { required: true }),
      valueOpt('password', 'string', 'the new password', { required: true }),
      flag('encrypted', 'the password is already encrypted'),
    ],
    run: setUserPassword,
  }),
  domainCommand({
    name: 'guest-agent-timeout',
    help: 'Set the guest agent timeout',
    description: 'Set the number of seconds to wait for a response from the guest agent.',
    options: [valueOpt('timeout', 'int', 'timeout seconds.', { named: true })],
    run: guestAgentTimeout,
  }),
];
