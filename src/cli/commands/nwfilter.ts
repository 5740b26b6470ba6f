/** Network filter and filter binding commands, with virsh's output (tools/virsh-nwfilter.c). */
import { VIR_NWFILTER_BINDING_CREATE_VALIDATE, VIR_NWFILTER_DEFINE_VALIDATE } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullNwfilterBinding } from '../../procedures/remote.gen.js';
import type { ParsedOptions, CommandContext, CommandSpec, OptionSpec } from '../command.js';
import { call } from '../support/failures.js';
import { valueOpt, VALIDATE, XPATH_OPTIONS, strArg } from '../support/options.js';
import { xpathOption, printXml } from '../support/xpath.js';
import { formatUuid, caseOrder } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { collectList, lookupEach, lookupNwfilter, lookupNwfilterBinding } from '../support/lookup.js';
import { oneObjectCommand } from '../support/templates.js';
import { printJson, wantsJson } from '../support/json-output.js';

const GROUP = 'Network Filter';
const NWFILTER: OptionSpec = valueOpt('nwfilter', 'string', 'network filter name or uuid', { required: true });

/** A file option with its help text. */
const fileOption = (help: string): OptionSpec => valueOpt('file', 'string', help, { required: true });

const lookupBinding = lookupNwfilterBinding;

/** The command's `<binding>` option, looked up. */
const bindingOf = (ctx: CommandContext, opts: ParsedOptions): Promise<RemoteNonnullNwfilterBinding> => lookupBinding(ctx.conn, strArg(opts, 'binding'));

/** Network filter commands. */
export const nwfilterCommands: readonly CommandSpec[] = [
  {
    name: 'nwfilter-define',
    group: GROUP,
    help: 'define or update a network filter from an XML file',
    description: 'Define a new network filter or update an existing one.',
    options: [fileOption('file containing an XML network filter description'), VALIDATE],
    async run(ctx, opts) {
      const file = strArg(opts, 'file');
      const xml = await ctx.readFile(file);
      // virsh calls the flag-less virNWFilterDefineXML unless --validate is given.
      const filter = await call(
        () => (opts.bool('validate') ? ctx.conn.raw.nwFilterDefineXMLFlags(xml, VIR_NWFILTER_DEFINE_VALIDATE) : ctx.conn.raw.nwFilterDefineXML(xml)),
        `Failed to define network filter from ${file}`,
      );
      if (!ctx.quiet) ctx.print(`Network filter ${filter.name} defined from ${file}\n`);
    },
  },
  {
    name: 'nwfilter-dumpxml',
    group: GROUP,
    help: 'network filter information in XML',
    description: 'Output the network filter information as an XML dump to stdout.',
    options: [NWFILTER, ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const filter = await lookupNwfilter(ctx.conn, strArg(opts, 'nwfilter'));
      const xpath = xpathOption(opts);
      printXml(ctx, await ctx.conn.raw.nwFilterGetXMLDesc(filter, 0), xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'nwfilter-list',
    group: GROUP,
    help: 'list network filters',
    description: 'Returns list of network filters.',
    options: [],
    extensions: ['json'],
    async run(ctx, opts) {
      const raw = ctx.conn.raw;
      const filters = await collectList(
        async () => (await raw.connectListAllNWFilters(1, 0)).filters,
        async () => {
          const count = await call(() => raw.connectNumOfNWFilters(), 'Failed to count network filters');
          if (count === 0) return [];
          const names = await call(() => raw.connectListNWFilters(count), 'Failed to list network filters');
          return lookupEach(names, (n) => raw.nwFilterLookupByName(n));
        },
        'Failed to list network filters',
      );
      filters.sort((a, b) => caseOrder(a.name, b.name));
      if (wantsJson(opts)) {
        printJson(
          ctx,
          filters.map((f) => ({ uuid: formatUuid(f.uuid), name: f.name })),
        );
        return;
      }
      const rows = filters.map((f) => [formatUuid(f.uuid), f.name]);
      ctx.print(formatTable(['UUID', 'Name'], rows, ctx.quiet));
    },
  },
  oneObjectCommand({
    name: 'nwfilter-undefine',
    group: GROUP,
    help: 'undefine a network filter',
    description: 'Undefine a given network filter.',
    option: NWFILTER,
    check: (opts) => strArg(opts, 'nwfilter'),
    lookup: lookupNwfilter,
    noun: 'Network filter',
    verb: 'undefine',
    done: 'undefined',
    act: (conn, filter) => conn.raw.nwFilterUndefine(filter),
  }),
  {
    name: 'nwfilter-binding-create',
    group: GROUP,
    help: 'create a network filter binding from an XML file',
    description: 'Create a new network filter binding.',
    options: [fileOption('file containing an XML network filter binding description'), VALIDATE],
    async run(ctx, opts) {
      const file = strArg(opts, 'file');
      const xml = await ctx.readFile(file);
      const binding = await call(
        () => ctx.conn.raw.nwFilterBindingCreateXML(xml, opts.bool('validate') ? VIR_NWFILTER_BINDING_CREATE_VALIDATE : 0),
        `Failed to create network filter from ${file}`,
      );
      if (!ctx.quiet) ctx.print(`Network filter binding on ${binding.portdev} created from ${file}\n`);
    },
  },
  {
    name: 'nwfilter-binding-delete',
    group: GROUP,
    help: 'delete a network filter binding',
    description: 'Delete a given network filter binding.',
    options: [valueOpt('binding', 'string', 'network filter binding port dev', { required: true })],
    async run(ctx, opts) {
      const binding = await bindingOf(ctx, opts);
      const portdev = opts.required('binding');
      await call(() => ctx.conn.raw.nwFilterBindingDelete(binding), `Failed to delete network filter binding on ${portdev}`);
      if (!ctx.quiet) ctx.print(`Network filter binding on ${portdev} deleted\n`);
    },
  },
  {
    name: 'nwfilter-binding-dumpxml',
    group: GROUP,
    help: 'network filter information in XML',
    description: 'Output the network filter information as an XML dump to stdout.',
    options: [valueOpt('binding', 'string', 'network filter binding portdev', { required: true }), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      // virsh 9.0 accepts --xpath and --wrap here but never reads --xpath: the whole document is printed.
      const binding = await bindingOf(ctx, opts);
      ctx.print(await ctx.conn.raw.nwFilterBindingGetXMLDesc(binding, 0));
    },
  },
  {
    name: 'nwfilter-binding-list',
    group: GROUP,
    help: 'list network filter bindings',
    description: 'Returns list of network filter bindings.',
    options: [],
    extensions: ['json'],
    async run(ctx, opts) {
      const bindings = await call(async () => (await ctx.conn.raw.connectListAllNWFilterBindings(1, 0)).bindings, 'Failed to list network filter bindings');
      bindings.sort((a, b) => caseOrder(a.portdev, b.portdev));
      if (wantsJson(opts)) {
        printJson(
          ctx,
          bindings.map((b) => ({ port_dev: b.portdev, filter: b.filtername })),
        );
        return;
      }
      const rows = bindings.map((b) => [b.portdev, b.filtername]);
      ctx.print(formatTable(['Port Dev', 'Filter'], rows, ctx.quiet));
    },
  },
];
