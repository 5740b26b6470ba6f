/** Node device commands, with virsh's output (tools/virsh-nodedev.c). */
import type { CommandSpec } from '../command.js';
import { lookupNodeDevice } from '../lookup-more.js';

/** Node device commands. */
export const nodedevCommands: readonly CommandSpec[] = [
  {
    name: 'nodedev-dumpxml',
    group: 'Node Device',
    help: 'node device details in XML',
    options: [{ name: 'device', kind: 'string', positional: true, required: true, help: 'device name or wwn pair in \'wwnn,wwpn\' format' }],
    async run(ctx, opts) {
      const dev = await lookupNodeDevice(ctx.conn, opts.required('device'));
      ctx.print(await ctx.conn.raw.nodeDeviceGetXMLDesc(dev.name, 0));
    },
  },
];
