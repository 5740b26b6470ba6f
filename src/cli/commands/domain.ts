/**
 * Domain commands, with virsh's output (tools/virsh-domain.c,
 * tools/virsh-domain-monitor.c).
 */
import {
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_MIGRATABLE,
  VIR_DOMAIN_XML_SECURE,
  VIR_DOMAIN_XML_UPDATE_CPU,
  VIR_DOMAIN_METADATA_DESCRIPTION,
  VIR_DOMAIN_METADATA_TITLE,
  VIR_DOMAIN_VCPU_GUEST,
  VIR_DOMAIN_VCPU_HOTPLUGGABLE,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_MEM_MAXIMUM,
  VIR_DOMAIN_DEFINE_VALIDATE,
  VIR_DOMAIN_DESTROY_GRACEFUL,
  VIR_DOMAIN_DESTROY_REMOVE_LOGS,
} from '../../procedures/libvirt-api.gen.js';
import { pipeToFile } from '../../api/stream.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { domainStateName, domainStateReasonName } from '../../api/names.js';
import { fixedString } from '../../api/values.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import {
  flag,
  valueOpt,
  argvOpt,
  domainOpt,
  DOMAIN,
  AFFECT_OPTS,
  exclusive,
  affectFlags,
  strOpt,
  XPATH_OPTIONS,
  VALIDATE,
  optionAliases,
} from '../support/options.js';
import { printXml, xpathOption } from '../support/xpath.js';
import { UINT_MAX, scaledKiBOpt } from '../support/numbers.js';
import { formatUuid } from '../support/format.js';
import { infoFields, wantsJson } from '../support/json-output.js';
import { VSH_ERR_DEBUG, vshDebug } from '../support/debug.js';
import { editText } from '../support/edit-loop.js';
import { lookupDomain } from '../support/lookup.js';
import { vshFail } from '../support/failures.js';
import { domainDescription } from '../support/metadata.js';

const FILE: OptionSpec = valueOpt('file', 'string', 'file containing an XML domain description', { required: true });

/** The file virsh names a screenshot after when none is given (virshGenFileName): `NAME-YYYY-MM-DD-HH:MM:SS.ext`, local time. */
function screenshotFileName(name: string, mime: string): string {
  const ext = mime === 'image/x-portable-pixmap' ? '.ppm' : mime === 'image/png' ? '.png' : '';
  const now = new Date();
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}-${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
  return `${name}-${stamp}${ext}`;
}

/**
 * dominfo's lines (virsh's cmdDominfo), each with its `--json` key and value
 * (docs/tsvirsh-json.md): printed as text, or as one JSON object.
 */
async function dominfo(ctx: CommandContext, dom: RemoteNonnullDomain, json: boolean): Promise<void> {
  const raw = ctx.conn.raw;
  const out = infoFields(ctx, json);
  out.add('Id:', dom.id === -1 ? '-' : dom.id, 'id', dom.id === -1 ? null : dom.id);
  out.add('Name:', dom.name, 'name');
  out.add('UUID:', formatUuid(dom.uuid), 'uuid');
  try {
    out.add('OS Type:', await raw.domainGetOSType(dom), 'os_type');
  } catch {
    /* virsh prints nothing when the OS type is unavailable */
  }
  const info = await raw.domainGetInfo(dom);
  out.add('State:', domainStateName(info.state), 'state');
  out.add('CPU(s):', info.nrVirtCpu, 'cpus');
  if (info.cpuTime !== 0n) out.add('CPU time:', `${(Number(info.cpuTime) / 1e9).toFixed(1)}s`, 'cpu_time', Number(info.cpuTime) / 1e9);
  out.add('Max memory:', info.maxMem !== UINT_MAX ? `${info.maxMem} KiB` : 'no limit', 'max_memory', info.maxMem !== UINT_MAX ? info.maxMem : null);
  out.add('Used memory:', `${info.memory} KiB`, 'used_memory', info.memory);
  const persistent = await raw.domainIsPersistent(dom).catch(() => -1);
  vshDebug(VSH_ERR_DEBUG, () => `Domain persistent flag value: ${persistent}\n`);
  out.add('Persistent:', persistent < 0 ? 'unknown' : persistent ? 'yes' : 'no', 'persistent', persistent < 0 ? null : persistent !== 0);
  const autostart = await raw.domainGetAutostart(dom).catch(() => null);
  if (autostart !== null) out.add('Autostart:', autostart ? 'enable' : 'disable', 'autostart', autostart !== 0);
  const managed = await raw.domainHasManagedSaveImage(dom, 0).catch(() => -1);
  out.add('Managed save:', managed < 0 ? 'unknown' : managed ? 'yes' : 'no', 'managed_save', managed < 0 ? null : managed !== 0);
  let model: string | null = null;
  try {
    const sec = await raw.nodeGetSecurityModel();
    model = fixedString(sec.model);
    if (model !== '') {
      out.add('Security model:', model, 'security_model');
      out.add('Security DOI:', fixedString(sec.doi), 'security_doi');
      const label = await raw.domainGetSecurityLabel(dom);
      const text = fixedString(label.label);
      if (text !== '') {
        out.addLine(`${'Security label:'.padEnd(15)} ${text} (${label.enforcing ? 'enforcing' : 'permissive'})\n`, 'security_label', {
          label: text,
          enforcing: label.enforcing !== 0,
        });
      }
    }
  } catch (err) {
    if (!(err instanceof LibvirtError) || err.code !== 'VIR_ERR_NO_SUPPORT') throw err;
  }
  const messages = await raw.domainGetMessages(dom, 0).catch(() => [] as string[]);
  messages.forEach((m, i) => {
    out.add(i === 0 ? 'Messages:' : '', m);
  });
  out.json.messages = messages;
  out.done();
}

const SIZE: OptionSpec = valueOpt('size', 'int', 'new memory size, as scaled integer (default KiB)', { required: true });
const MAX_SIZE: OptionSpec = { ...SIZE, help: 'new maximum memory size, as scaled integer (default KiB)' };

/** A command that looks a domain up and calls one procedure on it, printing virsh's message. */
function action(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  /** The success message for the domain as typed. */
  readonly done: (n: string) => string;
  /** `destroy` → "Failed to destroy domain 'X'" (unless `failure` says otherwise). */
  readonly verb: string;
  readonly run: (ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions) => Promise<void>;
  readonly options?: readonly OptionSpec[];
  readonly failure?: (n: string) => string;
}): CommandSpec {
  const failure = spec.failure ?? ((n: string): string => `Failed to ${spec.verb} domain '${n}'`);
  return {
    name: spec.name,
    group: 'Domain Management',
    help: spec.help,
    description: spec.description,
    options: [DOMAIN, ...(spec.options ?? [])],
    async run(ctx, opts) {
      // virsh names the domain as the user typed it (virshCommandOptDomain's name).
      const text = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, text);
      try {
        await spec.run(ctx, dom, opts);
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw vshFail(failure(text), err);
      }
      if (!ctx.quiet) ctx.print(spec.done(text));
    },
  };
}

/** Domain commands. */
export const domainCommands: readonly CommandSpec[] = [
  {
    name: 'dominfo',
    group: 'Domain Monitoring',
    help: 'domain information',
    description: 'Returns basic information about the domain.',
    options: [DOMAIN],
    extensions: ['json'],
    async run(ctx, opts) {
      await dominfo(ctx, await lookupDomain(ctx.conn, opts.required('domain')), wantsJson(opts));
    },
  },
  {
    name: 'domstate',
    group: 'Domain Monitoring',
    help: 'domain state',
    description: 'Returns state about a domain.',
    options: [DOMAIN, flag('reason', 'also print reason for the state')],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const { state, reason } = await ctx.conn.raw.domainGetState(dom, 0);
      ctx.print(opts.bool('reason') ? `${domainStateName(state)} (${domainStateReasonName(state, reason)})\n` : `${domainStateName(state)}\n`);
    },
  },
  {
    name: 'domuuid',
    group: 'Domain Management',
    help: 'convert a domain name or id to domain UUID',
    options: [domainOpt('domain id or name')],
    async run(ctx, opts) {
      ctx.print(`${formatUuid((await lookupDomain(ctx.conn, opts.required('domain'))).uuid)}\n`);
    },
  },
  {
    name: 'domid',
    group: 'Domain Management',
    help: 'convert a domain name or UUID to domain id',
    options: [domainOpt('domain name or uuid')],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      ctx.print(dom.id === -1 ? '-\n' : `${dom.id}\n`);
    },
  },
  {
    name: 'domname',
    group: 'Domain Management',
    help: 'convert a domain id or UUID to domain name',
    options: [domainOpt('domain id or uuid')],
    async run(ctx, opts) {
      ctx.print(`${(await lookupDomain(ctx.conn, opts.required('domain'))).name}\n`);
    },
  },
  {
    name: 'dumpxml',
    group: 'Domain Management',
    help: 'domain information in XML',
    description: 'Output the domain information as an XML dump to stdout.',
    options: [
      DOMAIN,
      flag('inactive', 'show inactive defined XML'),
      flag('security-info', 'include security sensitive information in XML dump'),
      flag('update-cpu', 'update guest CPU according to host CPU'),
      flag('migratable', 'provide XML suitable for migrations'),
      ...XPATH_OPTIONS,
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const xpath = xpathOption(opts);
      let flags = 0;
      if (opts.bool('inactive')) flags |= VIR_DOMAIN_XML_INACTIVE;
      if (opts.bool('security-info')) flags |= VIR_DOMAIN_XML_SECURE;
      if (opts.bool('update-cpu')) flags |= VIR_DOMAIN_XML_UPDATE_CPU;
      if (opts.bool('migratable')) flags |= VIR_DOMAIN_XML_MIGRATABLE;
      printXml(ctx, await ctx.conn.raw.domainGetXMLDesc(dom, flags), xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'define',
    group: 'Domain Management',
    help: "define (but don't start) a domain from an XML file",
    description: 'Define a domain.',
    options: [FILE, VALIDATE],
    async run(ctx, opts) {
      const file = opts.required('file');
      const xml = await ctx.readFile(file);
      let dom: RemoteNonnullDomain;
      try {
        // virsh calls virDomainDefineXMLFlags only when it has a flag to give.
        dom = opts.bool('validate') ? await ctx.conn.raw.domainDefineXMLFlags(xml, VIR_DOMAIN_DEFINE_VALIDATE) : await ctx.conn.raw.domainDefineXML(xml);
      } catch (err) {
        throw vshFail(`Failed to define domain from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`Domain '${dom.name}' defined from ${file}\n`);
    },
  },
  action({
    name: 'destroy',
    help: 'destroy (stop) a domain',
    description: 'Forcefully stop a given domain, but leave its resources intact.',
    done: (n) => `Domain '${n}' destroyed\n`,
    verb: 'destroy',
    options: [flag('graceful', 'terminate gracefully'), flag('remove-logs', 'remove domain logs')],
    run: async (ctx, dom, opts) => {
      const flags = (opts.bool('graceful') ? VIR_DOMAIN_DESTROY_GRACEFUL : 0) | (opts.bool('remove-logs') ? VIR_DOMAIN_DESTROY_REMOVE_LOGS : 0);
      // virsh calls virDomainDestroyFlags only when it has a flag to give.
      await (flags ? ctx.conn.raw.domainDestroyFlags(dom, flags) : ctx.conn.raw.domainDestroy(dom));
    },
  }),
  action({
    name: 'suspend',
    help: 'suspend a domain',
    description: 'Suspend a running domain.',
    done: (n) => `Domain '${n}' suspended\n`,
    verb: 'suspend',
    run: (ctx, dom) => ctx.conn.raw.domainSuspend(dom),
  }),
  action({
    name: 'resume',
    help: 'resume a domain',
    description: 'Resume a previously suspended domain.',
    done: (n) => `Domain '${n}' resumed\n`,
    verb: 'resume',
    run: (ctx, dom) => ctx.conn.raw.domainResume(dom),
  }),
  {
    name: 'autostart',
    group: 'Domain Management',
    help: 'autostart a domain',
    description: 'Configure a domain to be automatically started at boot.',
    options: [DOMAIN, flag('disable', 'disable autostarting')],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const on = !opts.bool('disable');
      try {
        await ctx.conn.raw.domainSetAutostart(dom, on ? 1 : 0);
      } catch (err) {
        throw vshFail(on ? `Failed to mark domain '${dom.name}' as autostarted` : `Failed to unmark domain '${dom.name}' as autostarted`, err);
      }
      if (!ctx.quiet) ctx.print(on ? `Domain '${dom.name}' marked as autostarted\n` : `Domain '${dom.name}' unmarked as autostarted\n`);
    },
  },
  {
    name: 'setmem',
    group: 'Domain Management',
    help: 'change memory allocation',
    description: 'Change the current memory allocation in the guest domain.',
    options: [DOMAIN, SIZE, ...AFFECT_OPTS],
    // virsh's VSH_OT_ALIAS --kilobytes, standing for --size.
    aliases: optionAliases({ kilobytes: 'size' }),
    async run(ctx, opts) {
      const flags = affectFlags(opts);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const kib = scaledKiBOpt(opts, 'size')!;
      if (flags === 0 && !opts.bool('current')) await ctx.conn.raw.domainSetMemory(dom, kib);
      else await ctx.conn.raw.domainSetMemoryFlags(dom, kib, flags);
    },
  },
  {
    name: 'setmaxmem',
    group: 'Domain Management',
    help: 'change maximum memory limit',
    description: 'Change the maximum memory allocation limit in the guest domain.',
    options: [DOMAIN, MAX_SIZE, ...AFFECT_OPTS],
    aliases: optionAliases({ kilobytes: 'size' }),
    async run(ctx, opts) {
      const flags = affectFlags(opts);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const kib = scaledKiBOpt(opts, 'size')!;
      try {
        if (flags === 0 && !opts.bool('current')) await ctx.conn.raw.domainSetMaxMemory(dom, kib);
        else await ctx.conn.raw.domainSetMemoryFlags(dom, kib, flags | VIR_DOMAIN_MEM_MAXIMUM);
      } catch (err) {
        throw vshFail('Unable to change MaxMemorySize', err);
      }
    },
  },
  {
    name: 'setvcpus',
    group: 'Domain Management',
    help: 'change number of virtual CPUs',
    description: 'Change the number of virtual CPUs in the guest domain.',
    options: [
      DOMAIN,
      valueOpt('count', 'int', 'number of virtual CPUs', { required: true }),
      flag('maximum', 'set maximum limit on next boot'),
      ...AFFECT_OPTS,
      flag('guest', 'modify cpu state in the guest'),
      flag('hotpluggable', 'make added vcpus hot(un)pluggable'),
    ],
    async run(ctx, opts) {
      let flags = affectFlags(opts);
      exclusive(opts, ['guest', 'config']);
      if (opts.bool('maximum') && !opts.bool('config')) throw new CliError(['Option --config is required by option --maximum']);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const text = opts.required('count');
      if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) {
        throw new CliError([`Numeric value '${text}' for <count> option is malformed or out of range`]);
      }
      if (opts.bool('maximum')) flags |= VIR_DOMAIN_VCPU_MAXIMUM;
      if (opts.bool('guest')) flags |= VIR_DOMAIN_VCPU_GUEST;
      if (opts.bool('hotpluggable')) flags |= VIR_DOMAIN_VCPU_HOTPLUGGABLE;
      if (flags === 0 && !opts.bool('current')) await ctx.conn.raw.domainSetVcpus(dom, Number(text));
      else await ctx.conn.raw.domainSetVcpusFlags(dom, Number(text), flags);
    },
  },
  {
    name: 'domrename',
    group: 'Domain Management',
    help: 'rename a domain',
    description: 'Rename an inactive domain.',
    options: [domainOpt('domain name or uuid'), valueOpt('new-name', 'string', 'new domain name', { required: true })],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await ctx.conn.raw.domainRename(dom, opts.required('new-name'), 0);
      if (!ctx.quiet) ctx.print('Domain successfully renamed\n');
    },
  },
  {
    name: 'desc',
    group: 'Domain Management',
    help: "show or set domain's description or title",
    description: 'Allows setting or modifying the description or title of a domain.',
    options: [
      DOMAIN,
      flag('live', 'modify/get running state'),
      flag('config', 'modify/get persistent configuration'),
      flag('current', 'modify/get current state configuration'),
      flag('title', 'modify/get the title instead of description'),
      flag('edit', 'open an editor to modify the description'),
      argvOpt('new-desc', 'message'),
    ],
    async run(ctx, opts) {
      const flags = affectFlags(opts);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const title = opts.bool('title');
      const type = title ? VIR_DOMAIN_METADATA_TITLE : VIR_DOMAIN_METADATA_DESCRIPTION;
      const what = title ? 'title' : 'description';
      // The words of the message, joined by one space (virsh's buffer of each argument and a space, trimmed).
      const words = opts.list('new-desc');
      let text = words.length ? words.join(' ') : undefined;
      if (opts.bool('edit')) {
        // The text given (else the current one) through the editor once; a title loses the newline editors add.
        const current = await domainDescription(ctx.conn, dom, type, flags);
        let edited = await editText(ctx, text ?? current);
        if (title && edited.endsWith('\n')) edited = edited.slice(0, -1);
        if (edited === current) {
          if (!ctx.quiet) ctx.print(`Domain ${what} not changed\n`);
          return;
        }
        text = edited;
      }
      // virsh leaves these lines to its closing newline.
      if (text === undefined) {
        const current = await domainDescription(ctx.conn, dom, type, flags);
        if (current !== '') ctx.print(current);
        else if (!ctx.quiet) ctx.print(`No ${what} for domain: ${dom.name}`);
        return;
      }
      try {
        await ctx.conn.raw.domainSetMetadata(dom, type, text === '' ? null : text, null, null, flags);
      } catch (err) {
        throw vshFail(`Failed to set new domain ${what}`, err);
      }
      if (!ctx.quiet) ctx.print(`Domain ${what} updated successfully`);
    },
  },
  {
    name: 'managedsave-remove',
    group: 'Domain Management',
    help: 'Remove managed save of a domain',
    description: 'Remove an existing managed save state file from a domain',
    options: [DOMAIN],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const has = await ctx.conn.raw.domainHasManagedSaveImage(dom, 0).catch((err: unknown) => {
        throw vshFail('Failed to check for domain managed save image', err);
      });
      // virsh leaves these lines to its closing newline.
      if (!has) {
        if (!ctx.quiet) ctx.print(`Domain '${dom.name}' has no manage save image; removal skipped`);
        return;
      }
      try {
        await ctx.conn.raw.domainManagedSaveRemove(dom, 0);
      } catch (err) {
        throw vshFail(`Failed to remove managed save image for domain '${dom.name}'`, err);
      }
      if (!ctx.quiet) ctx.print(`Removed managedsave image for domain '${dom.name}'`);
    },
  },
  {
    name: 'screenshot',
    group: 'Domain Management',
    help: 'take a screenshot of a current domain console and store it into a file',
    description: 'screenshot of a current domain console',
    options: [DOMAIN, valueOpt('file', 'string', 'where to store the screenshot'), valueOpt('screen', 'int', 'ID of a screen to take screenshot of')],
    async run(ctx, opts) {
      const given = strOpt(opts, 'file');
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const screen = opts.string('screen') ?? '0';
      if (!/^\d+$/.test(screen)) throw new CliError([`Numeric value '${screen}' for <screen> option is malformed or out of range`]);
      try {
        const { mime, stream } = await ctx.conn.raw.domainScreenshot(dom, Number(screen), 0);
        const file = given ?? screenshotFileName(dom.name, mime ?? '');
        await pipeToFile(stream, file);
        // virsh leaves the line to its closing newline.
        ctx.print(`Screenshot saved to ${file}, with type of ${mime ?? ''}`);
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw vshFail(`could not take a screenshot of ${dom.name}`, err);
      }
    },
  },
];
