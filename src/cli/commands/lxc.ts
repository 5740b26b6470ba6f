/**
 * lxc-enter-namespace (tools/virsh-domain.c cmdLxcEnterNamespace). Entering
 * a container's namespaces needs the file descriptors the daemon passes back
 * over a unix socket, which this client cannot receive; every other
 * connection refuses the call before that, and tsvirsh refuses it with the
 * same words.
 */
import { CliError, type CommandSpec } from '../command.js';
import { call } from '../support/failures.js';
import { lookupDomain } from '../support/lookup.js';
import { argvOpt, DOMAIN, flag } from '../support/options.js';

/** lxc-enter-namespace. */
export const lxcCommands: readonly CommandSpec[] = [
  {
    name: 'lxc-enter-namespace',
    group: 'Domain Management',
    help: 'LXC Guest Enter Namespace',
    description: 'Run an arbitrary command in a lxc guest namespace; use at your own risk',
    options: [DOMAIN, flag('noseclabel', 'Do not change process security label'), { ...argvOpt('cmd', 'command to run'), required: true }],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      // libvirt's client checks a read-only connection itself (virCheckReadOnlyGoto in virDomainLxcOpenNamespace).
      if (ctx.conn.readOnly) throw new CliError(['operation forbidden: read only access prevents virDomainLxcOpenNamespace']);
      // Any driver but LXC lacks domainLxcOpenNamespace: the daemon answers virReportUnsupportedError().
      const type = await call(() => ctx.conn.raw.connectGetType());
      if (type !== 'LXC') throw new CliError(['this function is not supported by the connection driver: virDomainLxcOpenNamespace']);
      throw new CliError([`cannot enter the namespaces of domain '${dom.name}': tsvirsh cannot receive the file descriptors libvirt passes for them`]);
    },
  },
];
