/** Node device commands, with virsh's output (tools/virsh-nodedev.c). */
import type { Connection } from '../../api/connection.js';
import {
  VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_QUEUE,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_CCW_DEV,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_DRM,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_STORAGE,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_VDPA,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD,
  VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS,
  VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE,
  VIR_NODE_DEVICE_CREATE_XML_VALIDATE,
  VIR_NODE_DEVICE_DEFINE_XML_VALIDATE,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullNodeDevice } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandSpec, type OptionSpec } from '../command.js';
import { call } from '../support/failures.js';
import { flag, valueOpt, VALIDATE, XPATH_OPTIONS, strArg, quietText, splitCommaList, optionAliases } from '../support/options.js';
import { xpathOption, printXml } from '../support/xpath.js';
import { field, caseOrder } from '../support/format.js';
import { collectList, lookupEach, findOrFail } from '../support/lookup.js';
import { autostartCommand } from '../support/templates.js';
import { printJson, wantsJson } from '../support/json-output.js';

const GROUP = 'Node Device';
const DEVICE_HELP = "device name or wwn pair in 'wwnn,wwpn' format";
const deviceOption = (help: string): OptionSpec => valueOpt('device', 'string', help, { required: true });
const FILE: OptionSpec = valueOpt('file', 'string', 'file containing an XML description of the device', { required: true });

/** virsh 9.0's `--cap` names (virNodeDevCapType) and the list flag each selects. */
const CAP_FLAGS: ReadonlyMap<string, number> = new Map([
  ['system', VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM],
  ['pci', VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV],
  ['usb_device', VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV],
  ['usb', VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE],
  ['net', VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET],
  ['scsi_host', VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST],
  ['scsi_target', VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET],
  ['scsi', VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI],
  ['storage', VIR_CONNECT_LIST_NODE_DEVICES_CAP_STORAGE],
  ['fc_host', VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST],
  ['vports', VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS],
  ['scsi_generic', VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC],
  ['drm', VIR_CONNECT_LIST_NODE_DEVICES_CAP_DRM],
  ['mdev_types', VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES],
  ['mdev', VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV],
  ['ccw', VIR_CONNECT_LIST_NODE_DEVICES_CAP_CCW_DEV],
  ['css', VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV],
  ['vdpa', VIR_CONNECT_LIST_NODE_DEVICES_CAP_VDPA],
  ['ap_card', VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD],
  ['ap_queue', VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_QUEUE],
  ['ap_matrix', VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX],
  ['vpd', VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD],
]);

/** A WWN as virValidateWWN accepts it: 16 hex digits, optionally after `0x`. */
const validWwn = (wwn: string): boolean => /^[0-9a-fA-F]{16}$/.test(wwn.startsWith('0x') ? wwn.slice(2) : wwn);

/** A node device by name (virsh's detach, reattach, reset and start look only by name). */
function lookupByName(conn: Connection, text: string): Promise<RemoteNonnullNodeDevice> {
  return findOrFail([{ when: true, find: () => conn.raw.nodeDeviceLookupByName(text) }], `Could not find matching device '${text}'`);
}

/**
 * A node device by name, or, for text with a comma, the SCSI host with that
 * `wwnn,wwpn` pair (vshFindNodeDevice). A malformed WWN is libvirt's own
 * error, with no message of virsh's before it.
 */
function findDevice(conn: Connection, text: string): Promise<RemoteNonnullNodeDevice> {
  if (!text.includes(',')) return lookupByName(conn, text);
  const wwns = splitCommaList(text);
  if (wwns.length !== 2) throw new CliError([`Malformed device value '${text}'`]);
  const bad = wwns.find((w) => !validWwn(w));
  if (bad !== undefined) throw new CliError([`internal error: Malformed wwn: ${bad}`]);
  return findOrFail([{ when: true, find: () => conn.raw.nodeDeviceLookupSCSIHostByWWN(wwns[0], wwns[1], 0) }], `Could not find matching device '${text}'`);
}

type Lookup = (conn: Connection, text: string) => Promise<RemoteNonnullNodeDevice>;

/**
 * A command that finds one device and acts on it: `done(TEXT)` on success
 * (left out with -q), `fail(TEXT)` and the daemon's error on failure, TEXT
 * being the device as the user named it.
 */
function deviceCommand(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  readonly option: OptionSpec;
  readonly extra?: readonly OptionSpec[];
  readonly lookup: Lookup;
  readonly act: (conn: Connection, dev: RemoteNonnullNodeDevice, opts: ParsedOptions) => Promise<unknown>;
  readonly done: (text: string) => string;
  readonly fail: (text: string) => string;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
    description: spec.description,
    options: [spec.option, ...(spec.extra ?? [])],
    async run(ctx, opts) {
      const text = strArg(opts, 'device');
      const dev = await spec.lookup(ctx.conn, text);
      await call(() => spec.act(ctx.conn, dev, opts), spec.fail(text));
      if (!ctx.quiet) ctx.print(spec.done(text));
    },
  };
}

/** nodedev-create / nodedev-define: a device from an XML file. */
function fileCommand(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  readonly act: (conn: Connection, xml: string, flags: number) => Promise<RemoteNonnullNodeDevice>;
  readonly validateFlag: number;
  readonly done: (name: string, file: string) => string;
  readonly fail: (file: string) => string;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
    description: spec.description,
    options: [FILE, VALIDATE],
    async run(ctx, opts) {
      const file = strArg(opts, 'file');
      const xml = await ctx.readFile(file);
      const dev = await call(() => spec.act(ctx.conn, xml, opts.bool('validate') ? spec.validateFlag : 0), spec.fail(file));
      if (!ctx.quiet) ctx.print(spec.done(dev.name, file));
    },
  };
}

/** The device names the command line's caps select, the old way: each device's capabilities checked on the client. */
async function listDevicesFallback(conn: Connection, caps: readonly string[]): Promise<RemoteNonnullNodeDevice[]> {
  const raw = conn.raw;
  const count = await call(() => raw.nodeNumOfDevices(null, 0), 'Failed to count node devices');
  if (count === 0) return [];
  const names = await call(() => raw.nodeListDevices(null, count, 0), 'Failed to list node devices');
  const devices = await lookupEach(names, (n) => raw.nodeDeviceLookupByName(n));
  if (!caps.length) return devices;
  const kept: RemoteNonnullNodeDevice[] = [];
  for (const dev of devices) {
    const n = await call(() => raw.nodeDeviceNumOfCaps(dev.name), 'Failed to get capability numbers of the device');
    const have = await call(() => raw.nodeDeviceListCaps(dev.name, n), 'Failed to get capability names of the device');
    if (have.some((c) => caps.includes(c))) kept.push(dev);
  }
  return kept;
}

/**
 * vshTreePrint: each device under its parent, `+- ` before a child, `|`
 * down the side while more siblings follow, a `|` line before the first
 * child and an indented blank line after the last leaf of a branch.
 */
function treeText(names: readonly string[], parents: readonly (string | null)[]): string {
  let out = '';
  let indent = '';
  const visit = (dev: number, lastSibling: number, root: boolean): void => {
    out += `${indent}${root ? '' : '+- '}${names[dev]}\n`;
    if (!root) indent += dev === lastSibling ? '  ' : '| ';
    const children = parents.flatMap((p, i) => (p !== null && p === names[dev] ? [i] : []));
    const lastChild = children.length ? children[children.length - 1] : -1;
    if (lastChild !== -1) out += `${indent}  |\n`;
    indent += '  ';
    for (const child of children) visit(child, lastChild, false);
    indent = indent.slice(0, -2);
    if (lastChild === -1 && dev === lastSibling) out += `${indent}\n`;
    if (!root) indent = indent.slice(0, -2);
  };
  parents.forEach((p, i) => {
    if (p === null) visit(i, i, true);
  });
  return out;
}

/** Node device commands. */
export const nodedevCommands: readonly CommandSpec[] = [
  fileCommand({
    name: 'nodedev-create',
    help: 'create a device defined by an XML file on the node',
    description: 'Create a device on the node.  Note that this command creates devices on the physical host that can then be assigned to a virtual machine.',
    act: (conn, xml, flags) => conn.raw.nodeDeviceCreateXML(xml, flags),
    validateFlag: VIR_NODE_DEVICE_CREATE_XML_VALIDATE,
    done: (name, file) => `Node device ${name} created from ${file}\n`,
    fail: (file) => `Failed to create node device from ${file}`,
  }),
  {
    ...deviceCommand({
      name: 'nodedev-destroy',
      help: 'destroy (stop) a device on the node',
      description: 'Destroy a device on the node.  Note that this command destroys devices on the physical host',
      option: deviceOption(DEVICE_HELP),
      lookup: findDevice,
      act: (conn, dev) => conn.raw.nodeDeviceDestroy(dev.name),
      done: (text) => `Destroyed node device '${text}'\n`,
      fail: (text) => `Failed to destroy node device '${text}'`,
    }),
    // virsh's VSH_OT_ALIAS --name, standing for --device.
    aliases: optionAliases({ name: 'device' }),
  },
  {
    ...deviceCommand({
      name: 'nodedev-detach',
      help: 'detach node device from its device driver',
      description: 'Detach node device from its device driver before assigning to a domain.',
      option: deviceOption('device key'),
      extra: [valueOpt('driver', 'string', "pci device assignment backend driver (e.g. 'vfio' or 'xen')")],
      lookup: lookupByName,
      // Without a driver name virsh calls the old virNodeDeviceDettach.
      act: (conn, dev, opts) => {
        const driver = quietText(opts, 'driver');
        return driver === undefined ? conn.raw.nodeDeviceDettach(dev.name) : conn.raw.nodeDeviceDetachFlags(dev.name, driver, 0);
      },
      done: (text) => `Device ${text} detached\n`,
      fail: (text) => `Failed to detach device ${text}`,
    }),
    // virsh's old spelling, kept as an alias (VSH_CMD_FLAG_ALIAS).
    aliasNames: ['nodedev-dettach'],
  },
  {
    name: 'nodedev-dumpxml',
    group: GROUP,
    help: 'node device details in XML',
    description: 'Output the node device details as an XML dump to stdout.',
    options: [deviceOption(DEVICE_HELP), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const text = strArg(opts, 'device');
      const xpath = xpathOption(opts);
      const dev = await findDevice(ctx.conn, text);
      printXml(ctx, await ctx.conn.raw.nodeDeviceGetXMLDesc(dev.name, 0), xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'nodedev-list',
    group: GROUP,
    help: 'enumerate devices on this host',
    options: [
      flag('tree', 'list devices in a tree'),
      valueOpt('cap', 'string', 'capability names, separated by comma'),
      flag('inactive', 'list inactive devices'),
      flag('all', 'list inactive & active devices'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      const capText = quietText(opts, 'cap');
      const caps = capText === undefined ? [] : splitCommaList(capText);
      const [tree, inactive, all] = [opts.bool('tree'), opts.bool('inactive'), opts.bool('all')];
      if (all && inactive) throw new CliError(['Option --all is incompatible with --inactive']);
      if (tree && (capText !== undefined || inactive)) throw new CliError(['Option --tree is incompatible with --cap and --inactive']);
      let flags = 0;
      for (const cap of caps) {
        const flag = CAP_FLAGS.get(cap);
        if (flag === undefined) throw new CliError(['Invalid capability type']);
        flags |= flag;
      }
      if (inactive || all) flags |= VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE;
      if (!inactive) flags |= VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE;
      const devices = await collectList(
        async () => (await ctx.conn.raw.connectListAllNodeDevices(1, flags >>> 0)).devices,
        () => listDevicesFallback(ctx.conn, caps),
        'Failed to list node devices',
      );
      const names = devices.map((d) => d.name).sort(caseOrder);
      if (!tree && !wantsJson(opts)) {
        ctx.print(names.map((n) => `${n}\n`).join(''));
        return;
      }
      // The tree's roots: `computer` and every device whose parent is unknown.
      const parents = await Promise.all(names.map((n) => (n === 'computer' ? null : ctx.conn.raw.nodeDeviceGetParent(n).catch(() => null))));
      if (wantsJson(opts))
        printJson(
          ctx,
          names.map((name, i) => ({ name, parent: parents[i] ?? null })),
        );
      else ctx.print(treeText(names, parents));
    },
  },
  deviceCommand({
    name: 'nodedev-reattach',
    help: 'reattach node device to its device driver',
    description: 'Reattach node device to its device driver once released by the domain.',
    option: deviceOption('device key'),
    lookup: lookupByName,
    act: (conn, dev) => conn.raw.nodeDeviceReAttach(dev.name),
    done: (text) => `Device ${text} re-attached\n`,
    fail: (text) => `Failed to re-attach device ${text}`,
  }),
  deviceCommand({
    name: 'nodedev-reset',
    help: 'reset node device',
    description: 'Reset node device before or after assigning to a domain.',
    option: deviceOption('device key'),
    lookup: lookupByName,
    act: (conn, dev) => conn.raw.nodeDeviceReset(dev.name),
    done: (text) => `Device ${text} reset\n`,
    fail: (text) => `Failed to reset device ${text}`,
  }),
  fileCommand({
    name: 'nodedev-define',
    help: 'Define a device by an xml file on a node',
    description: 'Defines a persistent device on the node that can be assigned to a domain. The device must be started before it can be assigned to a domain.',
    act: (conn, xml, flags) => conn.raw.nodeDeviceDefineXML(xml, flags),
    validateFlag: VIR_NODE_DEVICE_DEFINE_XML_VALIDATE,
    done: (name, file) => `Node device '${name}' defined from '${file}'\n`,
    fail: (file) => `Failed to define node device from '${file}'`,
  }),
  deviceCommand({
    name: 'nodedev-undefine',
    help: 'Undefine an inactive node device',
    description: 'Undefines the configuration for an inactive node device',
    option: deviceOption(DEVICE_HELP),
    lookup: findDevice,
    act: (conn, dev) => conn.raw.nodeDeviceUndefine(dev.name, 0),
    done: (text) => `Undefined node device '${text}'\n`,
    fail: (text) => `Failed to undefine node device '${text}'`,
  }),
  deviceCommand({
    name: 'nodedev-start',
    help: 'Start an inactive node device',
    description: 'Starts an inactive node device that was previously defined',
    option: deviceOption('device name'),
    lookup: lookupByName,
    act: (conn, dev) => conn.raw.nodeDeviceCreate(dev.name, 0),
    done: (text) => `Device ${text} started\n`,
    fail: (text) => `Failed to start device ${text}`,
  }),
  {
    ...autostartCommand({
      name: 'nodedev-autostart',
      description: 'Configure a node device to be automatically started at boot.',
      group: GROUP,
      option: deviceOption(DEVICE_HELP),
      // The lookup reads the option as virsh does (an empty one is an error of its own).
      lookup: (conn, text) =>
        text === '' ? Promise.reject(new CliError(["Failed to get option 'device': Option argument is empty"])) : findDevice(conn, text),
      noun: 'Device',
      set: (conn, dev, on) => conn.raw.nodeDeviceSetAutostart(dev.name, on),
    }),
    help: 'autostart a defined node device',
  },
  {
    name: 'nodedev-info',
    group: GROUP,
    help: 'node device information',
    description: 'Returns basic information about the node device',
    options: [deviceOption(DEVICE_HELP)],
    async run(ctx, opts) {
      const dev = await findDevice(ctx.conn, strArg(opts, 'device'));
      const raw = ctx.conn.raw;
      // virsh tests the active/persistent calls' results for non-zero, so a failed call (-1) reads "yes".
      const yes = (v: number): string => (v ? 'yes' : 'no');
      const parent = await raw.nodeDeviceGetParent(dev.name).catch(() => null);
      const active = await raw.nodeDeviceIsActive(dev.name).catch(() => -1);
      const persistent = await raw.nodeDeviceIsPersistent(dev.name).catch(() => -1);
      const autostart = await raw.nodeDeviceGetAutostart(dev.name).catch(() => -1);
      ctx.print(
        field('Name:', dev.name) +
          field('Parent:', parent ?? '') +
          field('Active:', yes(active)) +
          field('Persistent:', yes(persistent)) +
          field('Autostart:', autostart < 0 ? 'no autostart' : yes(autostart)),
      );
    },
  },
];
