/** Host and hypervisor commands: version, hostname, uri, nodeinfo, capabilities, sysinfo. */
import { LIBVIRT_PROTOCOL_VERSION } from '../../procedures/libvirt-api.gen.js';
import { failed, type CommandSpec } from '../command.js';
import { cString } from '../format.js';

/** `major.minor.micro` from libvirt's packed version number. */
export function versionText(v: bigint | number): string {
  const n = Number(v);
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

const row = (label: string, value: string | number): string => `${label.padEnd(20)} ${value}\n`;

/** Host commands. */
export const hostCommands: readonly CommandSpec[] = [
  {
    name: 'version',
    group: 'Host and Hypervisor',
    help: 'show version',
    options: [{ name: 'daemon', kind: 'bool', help: 'report daemon version too' }],
    async run(ctx, opts) {
      const [type, lib, hv] = await Promise.all([
        ctx.conn.raw.connectGetType(),
        ctx.conn.raw.connectGetLibVersion(),
        ctx.conn.raw.connectGetVersion(),
      ]);
      // This client is not libvirt: it speaks the protocol of the release it was generated from.
      ctx.print(`Compiled against library: libvirt ${LIBVIRT_PROTOCOL_VERSION}\n`);
      ctx.print(`Using library: libvirt ${LIBVIRT_PROTOCOL_VERSION}\n`);
      ctx.print(`Using API: ${type} ${versionText(lib)}\n`);
      ctx.print(`Running hypervisor: ${type} ${versionText(hv)}\n`);
      if (opts.bool('daemon')) ctx.print(`Running against daemon: ${versionText(lib)}\n`);
    },
  },
  {
    name: 'hostname',
    group: 'Host and Hypervisor',
    help: 'print the hypervisor hostname',
    options: [],
    async run(ctx) {
      ctx.print(`${await ctx.conn.raw.connectGetHostname()}\n`);
    },
  },
  {
    name: 'uri',
    group: 'Host and Hypervisor',
    help: 'print the hypervisor canonical URI',
    options: [],
    async run(ctx) {
      ctx.print(`${ctx.conn.uri}\n`);
    },
  },
  {
    name: 'nodeinfo',
    group: 'Host and Hypervisor',
    help: 'node information',
    options: [],
    async run(ctx) {
      const i = await ctx.conn.raw.nodeGetInfo();
      ctx.print(row('CPU model:', cString(i.model)));
      ctx.print(row('CPU(s):', i.cpus));
      ctx.print(row('CPU frequency:', `${i.mhz} MHz`));
      ctx.print(row('CPU socket(s):', i.sockets));
      ctx.print(row('Core(s) per socket:', i.cores));
      ctx.print(row('Thread(s) per core:', i.threads));
      ctx.print(row('NUMA cell(s):', i.nodes));
      ctx.print(row('Memory size:', `${i.memory} KiB`));
    },
  },
  {
    name: 'capabilities',
    group: 'Host and Hypervisor',
    help: 'capabilities',
    options: [],
    async run(ctx) {
      ctx.print(`${await ctx.conn.raw.connectGetCapabilities()}\n`);
    },
  },
  {
    name: 'sysinfo',
    group: 'Host and Hypervisor',
    help: 'print the hypervisor sysinfo',
    options: [],
    async run(ctx) {
      ctx.print(`${await ctx.conn.raw.connectGetSysinfo(0)}\n`);
    },
  },
  {
    name: 'maxvcpus',
    group: 'Host and Hypervisor',
    help: 'connection vcpu maximum',
    options: [{ name: 'type', kind: 'string', help: 'domain type' }],
    async run(ctx, opts) {
      ctx.print(`${await ctx.conn.raw.connectGetMaxVcpus(opts.string('type') ?? null)}\n`);
    },
  },
  {
    name: 'cpu-models',
    group: 'Host and Hypervisor',
    help: 'CPU models',
    options: [{ name: 'arch', kind: 'string', positional: true, required: true, help: 'architecture' }],
    async run(ctx, opts) {
      let models;
      try {
        models = (await ctx.conn.raw.connectGetCPUModelNames(opts.required('arch'), 1, 0)).models;
      } catch (err) {
        throw failed('failed to get CPU model names', err);
      }
      ctx.print(models.map((m) => `${m}\n`).join(''));
    },
  },
];
