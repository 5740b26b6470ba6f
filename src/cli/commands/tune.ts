/**
 * Domain tuning commands (tools/virsh-domain.c): scheduler, memory, block I/O,
 * NUMA and interface parameters, perf events, metadata, launch security.
 * Those that get or set typed parameters (memtune, blkiotune, numatune,
 * blkdeviotune, domiftune) are run by tune-params.ts.
 */
import { VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_METADATA_ELEMENT, VIR_DOMAIN_XML_INACTIVE } from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';
import { parseXml, xmlAll, xmlAttr, xmlChildren } from '../../api/xml/reader.js';
import { editMetadata } from './edit.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { orFail } from '../support/failures.js';
import { flag, valueOpt, argvOpt, AFFECT_OPTS, exclusive, affectFlags, strOpt, strArg, isMacAddress, optionAliases } from '../support/options.js';
import { numberOpt } from '../support/numbers.js';
import { printParams, STRING_OKAY, param, paramFromString } from '../support/params.js';
import { serializeXmlNode } from '../support/xml.js';
import { domainCommand, domainOf } from '../support/templates.js';
import { blkdeviotune, blkiotune, domiftune, IOTUNE_OPTS, memtune, numatune } from './tune-params.js';

// --- schedinfo ------------------------------------------------------------------------------

async function schedinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const raw = ctx.conn.raw;
  const flags = affectFlags(opts);
  const [live, config, current] = ['live', 'config', 'current'].map((o) => opts.bool(o));
  const withFlags = flags !== 0 || current;
  const dom = await domainOf(ctx, opts);
  let type: Awaited<ReturnType<typeof raw.domainGetSchedulerType>>;
  try {
    type = await raw.domainGetSchedulerType(dom);
  } catch (err) {
    ctx.print(`${'Scheduler'.padEnd(15)}: Unknown\n`);
    throw err;
  }
  ctx.print(`${'Scheduler'.padEnd(15)}: ${type.type}\n`);
  if (!type.nparams) return;
  // Both --live and --config cannot be queried at once: virsh asks for the current values then.
  const getFlags = live && config ? 0 : flags;
  const get = (): Promise<RemoteTypedParam[]> =>
    withFlags ? raw.domainGetSchedulerParametersFlags(dom, type.nparams, getFlags | STRING_OKAY) : raw.domainGetSchedulerParameters(dom, type.nparams);
  let params = await get();
  const updates: RemoteTypedParam[] = [];
  const update = (field: string, value: string): void => {
    const known = params.find((p) => p.field === field);
    if (!known) throw new CliError([`invalid scheduler option: ${field}`]);
    updates.push(paramFromString(field, known.value.type, value));
  };
  for (const set of opts.list('set')) {
    const eq = set.indexOf('=');
    if (eq < 0) throw new CliError(['Invalid syntax for --set, expecting name=value']);
    update(set.slice(0, eq), set.slice(eq + 1));
  }
  for (const name of ['cap', 'weight']) {
    const v = strOpt(opts, name);
    if (v !== undefined) update(name, v);
  }
  if (updates.length) {
    if (withFlags) await raw.domainSetSchedulerParametersFlags(dom, updates, flags);
    else await raw.domainSetSchedulerParameters(dom, updates);
    params = await get();
  } else if (live && config) {
    throw new CliError(['cannot query both live and config at once']);
  }
  printParams(ctx, params);
}

// --- perf -----------------------------------------------------------------------------------

async function perf(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const enable = strOpt(opts, 'enable');
  const disable = strOpt(opts, 'disable');
  const dom = await domainOf(ctx, opts);
  const params: RemoteTypedParam[] = [];
  for (const [list, on] of [
    [enable, true],
    [disable, false],
  ] as const) {
    if (list === undefined) continue;
    for (const ev of list.split(',')) if (ev !== '') params.push(param.bool(ev, on));
  }
  const status = (ps: readonly RemoteTypedParam[]): void => {
    if (ctx.quiet) return;
    ctx.print(ps.map((p) => `${p.field.padEnd(15)}: ${p.value.type === 6 && p.value.b ? 'enabled' : 'disabled'}\n`).join(''));
  };
  if (!params.length) {
    status(await orFail('Unable to get perf events', () => ctx.conn.raw.domainGetPerfEvents(dom, flags)));
  } else {
    await orFail('Unable to enable/disable perf events', () => ctx.conn.raw.domainSetPerfEvents(dom, params, flags));
    status(params);
  }
}

// --- metadata -------------------------------------------------------------------------------

async function metadata(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  exclusive(opts, ['edit', 'set'], ['remove', 'set'], ['remove', 'edit']);
  const dom = await domainOf(ctx, opts);
  const uri = strArg(opts, 'uri');
  const key = strOpt(opts, 'key');
  const set = strOpt(opts, 'set');
  if ((set !== undefined || opts.bool('edit')) && key === undefined) throw new CliError(['namespace key is required when modifying metadata']);
  if (opts.bool('edit')) {
    await editMetadata(ctx, dom, uri, key!, flags);
    return;
  }
  if (set !== undefined || opts.bool('remove')) {
    await ctx.conn.raw.domainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, set ?? null, key ?? null, uri, flags);
    if (!ctx.quiet) ctx.print(set !== undefined ? 'Metadata modified\n' : 'Metadata removed\n');
    return;
  }
  ctx.print(`${await ctx.conn.raw.domainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, flags)}\n`);
}

// --- domif-setlink --------------------------------------------------------------------------

async function domifSetlink(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const iface = strArg(opts, 'interface');
  const state = strArg(opts, 'state');
  const config = opts.bool('config');
  if (state !== 'up' && state !== 'down') throw new CliError([`invalid link state '${state}'`]);
  let flags = config ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE;
  if ((await ctx.conn.raw.domainIsActive(dom)) === 0) flags = VIR_DOMAIN_AFFECT_CONFIG;
  const xml = await ctx.conn.raw.domainGetXMLDesc(dom, config ? VIR_DOMAIN_XML_INACTIVE : 0);
  const root = parseXml(xml);
  const interfaces = root.name === 'domain' ? xmlAll(root, 'devices/interface') : [];
  if (!interfaces.length) throw new CliError(['Failed to extract interface information or no interfaces found']);
  const [element, attr] = isMacAddress(iface) ? ['mac', 'address'] : ['target', 'dev'];
  const hit = interfaces.find((n) => xmlChildren(n, element).some((c) => xmlAttr(c, attr)?.toLowerCase() === iface.toLowerCase()));
  if (!hit) throw new CliError([`interface '${iface}' not found`]);
  const link = xmlChildren(hit, 'link')[0];
  if (link) link.attrs.state = state;
  else hit.children.push({ kind: 'element', name: 'link', attrs: Object.assign(Object.create(null) as Record<string, string>, { state }), children: [] });
  const device = serializeXmlNode(hit);
  if (opts.bool('print-xml')) {
    ctx.print(device);
    return;
  }
  await orFail('Failed to update interface link state', () => ctx.conn.raw.domainUpdateDeviceFlags(dom, device, flags));
  if (!ctx.quiet) ctx.print('Device updated successfully\n');
}

async function domlaunchsecinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const params = await orFail('Unable to get launch security parameters', () => ctx.conn.raw.domainGetLaunchSecurityInfo(dom, 0));
  printParams(ctx, params);
}

async function domsetlaunchsecstate(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const hdrFile = strOpt(opts, 'secrethdr');
  const secretFile = strOpt(opts, 'secret');
  if (hdrFile === undefined || secretFile === undefined) throw new CliError(['Both secret and the secret header are required']);
  const params = [param.string('sev-secret-header', await ctx.readFile(hdrFile)), param.string('sev-secret', await ctx.readFile(secretFile))];
  const address = numberOpt(opts, 'set-address', 'ullong');
  if (address !== undefined) params.push(param.ullong('sev-secret-set-address', address));
  await orFail('Unable to set launch security state', () => ctx.conn.raw.domainSetLaunchSecurityState(dom, params, 0));
}

/** The commands of this group. */
export const tuneCommands: readonly CommandSpec[] = [
  domainCommand({
    name: 'schedinfo',
    help: 'show/set scheduler parameters',
    description: 'Show/Set scheduler parameters.',
    options: [
      valueOpt('weight', 'int', 'weight for XEN_CREDIT', { named: true }),
      valueOpt('cap', 'int', 'cap for XEN_CREDIT', { named: true }),
      flag('current', 'get/set current scheduler info'),
      flag('config', 'get/set value to be used on next boot'),
      flag('live', 'get/set value from running domain'),
      argvOpt('set', 'parameter=value'),
    ],
    run: schedinfo,
  }),
  domainCommand({
    name: 'memtune',
    help: 'Get or set memory parameters',
    description:
      'Get or set the current memory parameters for a guest domain.\n    To get the memory parameters use following command: \n\n    virsh # memtune <domain>',
    options: [
      valueOpt('hard-limit', 'int', 'Max memory, as scaled integer (default KiB)'),
      valueOpt('soft-limit', 'int', 'Memory during contention, as scaled integer (default KiB)'),
      valueOpt('swap-hard-limit', 'int', 'Max memory plus swap, as scaled integer (default KiB)'),
      valueOpt('min-guarantee', 'int', 'Min guaranteed memory, as scaled integer (default KiB)'),
      ...AFFECT_OPTS,
    ],
    run: memtune,
  }),
  domainCommand({
    name: 'blkiotune',
    help: 'Get or set blkio parameters',
    description:
      'Get or set the current blkio parameters for a guest domain.\n    To get the blkio parameters use following command: \n\n    virsh # blkiotune <domain>',
    options: [
      valueOpt('weight', 'int', 'IO Weight'),
      valueOpt('device-weights', 'string', 'per-device IO Weights, in the form of /path/to/device,weight,...'),
      valueOpt('device-read-iops-sec', 'string', 'per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...'),
      valueOpt('device-write-iops-sec', 'string', 'per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...'),
      valueOpt('device-read-bytes-sec', 'string', 'per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...'),
      valueOpt('device-write-bytes-sec', 'string', 'per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...'),
      ...AFFECT_OPTS,
    ],
    run: blkiotune,
  }),
  domainCommand({
    name: 'numatune',
    help: 'Get or set numa parameters',
    description:
      'Get or set the current numa parameters for a guest domain.\n    To get the numa parameters use following command: \n\n    virsh # numatune <domain>',
    options: [
      valueOpt('mode', 'string', 'NUMA mode, one of strict, preferred and interleave \nor a number from the virDomainNumatuneMemMode enum'),
      valueOpt('nodeset', 'string', 'NUMA node selections to set'),
      ...AFFECT_OPTS,
    ],
    run: numatune,
  }),
  domainCommand({
    name: 'blkdeviotune',
    help: 'Set or query a block device I/O tuning parameters.',
    description: 'Set or query disk I/O parameters such as block throttling.',
    options: [valueOpt('device', 'string', 'block device', { required: true }), ...IOTUNE_OPTS, ...AFFECT_OPTS],
    run: blkdeviotune,
  }),
  domainCommand({
    name: 'domiftune',
    help: 'get/set parameters of a virtual interface',
    description: "Get/set parameters of a domain's virtual interface.",
    options: [
      valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
      valueOpt('inbound', 'string', "control domain's incoming traffics"),
      valueOpt('outbound', 'string', "control domain's outgoing traffics"),
      ...AFFECT_OPTS,
    ],
    run: domiftune,
  }),
  {
    ...domainCommand({
      name: 'domif-setlink',
      help: 'set link state of a virtual interface',
      description: "Set link state of a domain's virtual interface. This command wraps usage of update-device command.",
      options: [
        valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
        valueOpt('state', 'string', 'new state of the device', { required: true }),
        flag('config', 'affect next boot'),
        flag('print-xml', 'print XML document rather than set the interface link state'),
      ],
      run: domifSetlink,
    }),
    // virsh's VSH_OT_ALIAS --persistent, standing for --config.
    aliases: optionAliases({ persistent: 'config' }),
  },
  domainCommand({
    name: 'perf',
    help: 'Get or set perf event',
    description: 'Get or set the current perf events for a guest domain.\n    To get the perf events list use following command: \n\n    virsh # perf <domain>',
    options: [
      valueOpt('enable', 'string', 'perf events which will be enabled'),
      valueOpt('disable', 'string', 'perf events which will be disabled'),
      ...AFFECT_OPTS,
    ],
    run: perf,
  }),
  domainCommand({
    name: 'metadata',
    help: "show or set domain's custom XML metadata",
    description: 'Shows or modifies the XML metadata of a domain.',
    options: [
      valueOpt('uri', 'string', 'URI of the namespace', { required: true }),
      flag('live', 'modify/get running state'),
      flag('config', 'modify/get persistent configuration'),
      flag('current', 'modify/get current state configuration'),
      flag('edit', 'use an editor to change the metadata'),
      valueOpt('key', 'string', 'key to be used as a namespace identifier'),
      valueOpt('set', 'string', 'new metadata to set'),
      flag('remove', 'remove the metadata corresponding to an uri'),
    ],
    run: metadata,
  }),
  domainCommand({
    name: 'domlaunchsecinfo',
    help: 'Get domain launch security info',
    description: 'Get the launch security parameters for a guest domain',
    options: [],
    run: domlaunchsecinfo,
  }),
  domainCommand({
    name: 'domsetlaunchsecstate',
    help: 'Set domain launch security state',
    description: "Set a secret in the guest domain's memory",
    options: [
      valueOpt('secrethdr', 'string', 'path to file containing the secret header', { named: true }),
      valueOpt('secret', 'string', 'path to file containing the secret', { named: true }),
      valueOpt('set-address', 'int', "physical address within the guest domain's memory to set the secret"),
    ],
    run: domsetlaunchsecstate,
  }),
];
