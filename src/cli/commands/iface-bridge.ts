/**
 * iface-bridge and iface-unbridge, with virsh's steps, messages and order of
 * checks (tools/virsh-interface.c cmdInterfaceBridge, cmdInterfaceUnbridge):
 * the interface's inactive XML is rewritten (a `<bridge>` wrapped around the
 * device, or taken away) and defined, then started unless `--no-start`.
 */
import type { RemoteNonnullInterface } from '../../procedures/remote.gen.js';
import { VIR_INTERFACE_XML_INACTIVE } from '../../procedures/libvirt-api.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type CommandContext, type CommandSpec } from '../command.js';
import { VshFailure } from '../support/failures.js';
import { lookupInterfaceBy } from '../support/lookup.js';
import { numberOpt, UINT_MAX } from '../support/numbers.js';
import { flag, strArg, valueOpt } from '../support/options.js';
import { attr, parseXmlTree, serializeXmlNode, setAttr, treeElements, type XmlTreeElement } from '../support/xml.js';

const GROUP = 'Interface';

/** The elements that describe the device itself and move with it into or out of the bridge. */
const DEVICE_ELEMENTS = new Set(['mac', 'bond', 'vlan']);

/**
 * What a step of these commands reports, as virsh does: its own message
 * now, then libvirt's last error when the command ends. virsh keeps the last
 * error it saw, so a failed lookup earlier in the command is still reported
 * after a later message of virsh's own.
 */
class Steps {
  lastError: string | null = null;

  /** Runs a libvirt call; a daemon error is remembered as virsh's last error and rethrown. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LibvirtError) this.lastError = err.message;
      throw err;
    }
  }

  /** A libvirt call whose failure ends the command with `message` (vshError), then the last error. */
  async must<T>(message: string | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.call(fn);
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
      throw this.fail(message);
    }
  }

  /** Runs a check of virsh's own; its failure is followed by the last error. */
  own<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof CliError) throw new VshFailure(err.lines, this.lastError);
      throw err;
    }
  }

  /** Ends the command with virsh's own `message` (none: only the last error). */
  fail(message: string | null): VshFailure {
    return new VshFailure(message === null ? [] : [message], this.lastError);
  }
}

/** The document as xmlDocDumpMemory writes it: the XML declaration, the root, a newline. */
function documentText(root: XmlTreeElement): string {
  return `<?xml version="1.0"?>\n${serializeXmlNode(root)}\n`;
}

/** The interface's inactive XML, parsed, as virXMLParseStringCtxt gives it (a failure to parse is virsh's message). */
async function inactiveXml(steps: Steps, ctx: CommandContext, iface: RemoteNonnullInterface, name: string): Promise<XmlTreeElement> {
  const xml = await steps.must(null, () => ctx.conn.raw.interfaceGetXMLDesc(iface, VIR_INTERFACE_XML_INACTIVE));
  try {
    return parseXmlTree(xml);
  } catch {
    throw steps.fail(`Failed to parse configuration of ${name}`);
  }
}

/** Moves the device elements (`mac`, `bond`, `vlan`) of `from` to the end of `to`, in order (xmlUnlinkNode, xmlAddChild). */
function moveDeviceElements(from: XmlTreeElement, to: XmlTreeElement): void {
  const moving = from.children.filter((c) => c.kind === 'element' && DEVICE_ELEMENTS.has(c.name));
  from.children = from.children.filter((c) => !moving.includes(c));
  to.children.push(...moving);
}

/** A host interface by name, the way these commands look it up (virshCommandOptInterfaceBy with VIRSH_BYNAME). */
function byName(steps: Steps, ctx: CommandContext, text: string): Promise<RemoteNonnullInterface> {
  return steps.call(() => lookupInterfaceBy(ctx.conn, text, { name: true }));
}

/** iface-bridge and iface-unbridge. */
export const ifaceBridgeCommands: readonly CommandSpec[] = [
  {
    name: 'iface-bridge',
    group: GROUP,
    help: 'create a bridge device and attach an existing network device to it',
    description: 'bridge an existing network device',
    options: [
      valueOpt('interface', 'string', 'existing interface name', { required: true }),
      valueOpt('bridge', 'string', 'new bridge device name', { required: true }),
      flag('no-stp', 'do not enable STP for this bridge'),
      valueOpt('delay', 'int', 'number of seconds to squelch traffic on newly connected ports'),
      flag('no-start', "don't start the bridge immediately"),
    ],
    async run(ctx, opts) {
      const steps = new Steps();
      const ifName = strArg(opts, 'interface');
      const iface = await byName(steps, ctx, ifName);
      const brName = strArg(opts, 'bridge');
      // The new device must not exist yet; a failed lookup stays virsh's last error.
      const existing = await steps
        .call(() => ctx.conn.raw.interfaceLookupByName(brName))
        .catch((err: unknown) => {
          if (err instanceof LibvirtError) return null;
          throw err;
        });
      if (existing) throw steps.fail(`Network device ${brName} already exists`);
      const stp = !opts.bool('no-stp');
      const delay = steps.own(() => numberOpt(opts, 'delay', 'uint')) ?? 0n;
      const noStart = opts.bool('no-start');
      const top = await inactiveXml(steps, ctx, iface, ifName);
      const type = attr(top, 'type');
      if (type === undefined) throw steps.fail(`Existing device ${ifName} has no type`);
      if (type === 'bridge') throw steps.fail(`Existing device ${ifName} is already a bridge`);
      const xmlName = attr(top, 'name');
      if (xmlName !== ifName) throw steps.fail(`Interface name from config ${xmlName ?? '(null)'} doesn't match given supplied name ${ifName}`);
      // <interface type='bridge' name=BRIDGE><bridge stp= delay=><interface type=TYPE name=NAME>mac, bond, vlan</interface></bridge>
      const bridge: XmlTreeElement = { kind: 'element', name: 'bridge', attrs: Object.create(null) as Record<string, string>, children: [] };
      setAttr(bridge, 'stp', stp ? 'on' : 'off');
      // virsh prints the delay with %d.
      if (stp) setAttr(bridge, 'delay', String(delay > UINT_MAX >> 1n ? delay - (UINT_MAX + 1n) : delay));
      setAttr(top, 'type', 'bridge');
      setAttr(top, 'name', brName);
      const inner: XmlTreeElement = { kind: 'element', name: 'interface', attrs: Object.create(null) as Record<string, string>, children: [] };
      setAttr(inner, 'type', type);
      setAttr(inner, 'name', ifName);
      bridge.children.push(inner);
      top.children.push(bridge);
      moveDeviceElements(top, inner);
      const br = await steps.must(`Failed to define new bridge interface ${brName}`, () => ctx.conn.raw.interfaceDefineXML(documentText(top), 0));
      if (!ctx.quiet) ctx.print(`Created bridge ${brName} with attached device ${ifName}\n`);
      if (!noStart) {
        await steps.must(`Failed to start bridge interface ${brName}`, () => ctx.conn.raw.interfaceCreate(br, 0));
        if (!ctx.quiet) ctx.print(`Bridge interface ${brName} started\n`);
      }
    },
  },
  {
    name: 'iface-unbridge',
    group: GROUP,
    help: 'undefine a bridge device after detaching its device(s)',
    description: 'unbridge a network device',
    options: [
      valueOpt('bridge', 'string', 'current bridge device name', { required: true }),
      flag('no-start', "don't start the detached interface immediately (not recommended)"),
    ],
    async run(ctx, opts) {
      const steps = new Steps();
      const brName = strArg(opts, 'bridge');
      const br = await byName(steps, ctx, brName);
      const noStart = opts.bool('no-start');
      const top = await inactiveXml(steps, ctx, br, brName);
      const type = attr(top, 'type');
      if (type === undefined) throw steps.fail(`Existing device ${brName} has no type`);
      if (type !== 'bridge') throw steps.fail(`Device ${brName} is not a bridge`);
      const xmlName = attr(top, 'name');
      if (xmlName !== brName) throw steps.fail(`Interface name from config ${xmlName ?? '(null)'} doesn't match given supplied name ${brName}`);
      if (treeElements(top, 'bridge').length === 0) throw steps.fail('No bridge node in xml document');
      const attached = treeElements(top, 'bridge/interface');
      if (attached.length > 1) throw steps.fail('Multiple interfaces attached to bridge');
      const inner = attached[0];
      if (!inner) throw steps.fail('No interface attached to bridge');
      const ifName = attr(inner, 'name');
      if (ifName === undefined) throw steps.fail(`Device attached to bridge ${brName} has no name`);
      const ifType = attr(inner, 'type');
      if (ifType === undefined) throw steps.fail(`Attached device ${ifName} has no type`);
      setAttr(top, 'type', ifType);
      setAttr(top, 'name', ifName);
      moveDeviceElements(inner, top);
      // The bridge goes first: the detached device cannot be defined beside it.
      await steps.must(`Failed to destroy bridge interface ${brName}`, () => ctx.conn.raw.interfaceDestroy(br, 0));
      await steps.must(`Failed to undefine bridge interface ${brName}`, () => ctx.conn.raw.interfaceUndefine(br));
      const iface = await steps.must(`Failed to define new interface ${ifName}`, () => ctx.conn.raw.interfaceDefineXML(documentText(top), 0));
      if (!ctx.quiet) ctx.print(`Device ${ifName} un-attached from bridge ${brName}\n`);
      if (!noStart) {
        await steps.must(`Failed to start interface ${ifName}`, () => ctx.conn.raw.interfaceCreate(iface, 0));
        if (!ctx.quiet) ctx.print(`Interface ${ifName} started\n`);
      }
    },
  },
];
