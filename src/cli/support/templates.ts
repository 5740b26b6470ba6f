/**
 * Command templates for the shapes many virsh commands share: act on one
 * looked-up object, mark it autostarted, define or create it from a file.
 * Each returns an ordinary {@link CommandSpec}.
 */
import type { Connection } from '../../api/connection.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import type { ParsedOptions, CommandContext, CommandSpec, OptionSpec } from '../command.js';
import { flag, valueOpt, DOMAIN } from './options.js';
import { lookupDomain } from './lookup.js';
import { vshFail } from './failures.js';

/** A domain command: `<domain>` first, then `options`; in Domain Management unless `group` says otherwise. */
export function domainCommand(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly run: (ctx: CommandContext, opts: ParsedOptions) => Promise<void>;
  readonly group?: string;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group ?? 'Domain Management',
    help: spec.help,
    description: spec.description,
    options: [DOMAIN, ...spec.options],
    run: spec.run,
  };
}

/** The domain of the `<domain>` option. */
export function domainOf(ctx: CommandContext, opts: ParsedOptions): Promise<RemoteNonnullDomain> {
  return lookupDomain(ctx.conn, opts.required('domain'));
}

/**
 * A command that looks up one object and acts on it, as virsh's
 * start/destroy/undefine/refresh/... commands do: on success `Noun TEXT done`
 * (left out with -q), on failure `Failed to VERB noun TEXT` and the daemon's
 * error. TEXT is the object as the user named it.
 */
export function oneObjectCommand<T>(spec: {
  readonly name: string;
  readonly group: string;
  readonly help: string;
  readonly description?: string;
  /** The object's option (`pool`, `network`). */
  readonly option: OptionSpec;
  /** Further options (flags of the action). */
  readonly extra?: readonly OptionSpec[];
  /** Checks of the options made before anything else (mutually exclusive flags). */
  readonly check?: (opts: ParsedOptions) => void;
  /** Finds the object named by the option's text (`opts` for lookups that take another option, like a volume's `--pool`). */
  readonly lookup: (conn: Connection, text: string, opts: ParsedOptions) => Promise<T>;
  /** `Pool`, `Network`, `Vol`: the start of the success message; lowercased in the failure message. */
  readonly noun: string;
  /** `start` → "Failed to start pool X". */
  readonly verb: string;
  /** `started` → "Pool X started". */
  readonly done: string;
  readonly act: (conn: Connection, obj: T, opts: ParsedOptions) => Promise<unknown>;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: spec.help,
    description: spec.description,
    options: [spec.option, ...(spec.extra ?? [])],
    async run(ctx, opts) {
      spec.check?.(opts);
      const text = opts.required(spec.option.name);
      const obj = await spec.lookup(ctx.conn, text, opts);
      try {
        await spec.act(ctx.conn, obj, opts);
      } catch (err) {
        throw vshFail(`Failed to ${spec.verb} ${spec.noun.toLowerCase()} ${text}`, err);
      }
      if (!ctx.quiet) ctx.print(`${spec.noun} ${text} ${spec.done}\n`);
    },
  };
}

/** `autostart`-style command: `--disable` turns it off; messages as virsh's pool/net-autostart. */
export function autostartCommand<T>(spec: {
  readonly name: string;
  readonly group: string;
  readonly description?: string;
  readonly option: OptionSpec;
  readonly lookup: (conn: Connection, text: string) => Promise<T>;
  readonly noun: string;
  readonly set: (conn: Connection, obj: T, on: number) => Promise<void>;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: `autostart a ${spec.noun.toLowerCase()}`,
    description: spec.description,
    options: [spec.option, flag('disable', 'disable autostarting')],
    async run(ctx, opts) {
      const text = opts.required(spec.option.name);
      const obj = await spec.lookup(ctx.conn, text);
      const on = !opts.bool('disable');
      const mark = on ? 'mark' : 'unmark';
      try {
        await spec.set(ctx.conn, obj, on ? 1 : 0);
      } catch (err) {
        throw vshFail(`failed to ${mark} ${spec.noun.toLowerCase()} ${text} as autostarted`, err);
      }
      if (!ctx.quiet) ctx.print(`${spec.noun} ${text} ${mark}ed as autostarted\n`);
    },
  };
}

/** `define`/`create` from an XML file: "Noun NAME defined from FILE", or "Failed to define noun from FILE". */
export function fromFileCommand(spec: {
  readonly name: string;
  readonly group: string;
  readonly help: string;
  readonly description?: string;
  readonly extra?: readonly OptionSpec[];
  /** Checks of the options made before the file is read. */
  readonly check?: (opts: ParsedOptions) => void;
  readonly noun: string;
  readonly verb: string;
  readonly done: string;
  readonly act: (conn: Connection, xml: string, opts: ParsedOptions) => Promise<{ readonly name: string }>;
}): CommandSpec {
  return {
    name: spec.name,
    group: spec.group,
    help: spec.help,
    description: spec.description,
    options: [valueOpt('file', 'string', `file containing an XML ${spec.noun.toLowerCase()} description`, { required: true }), ...(spec.extra ?? [])],
    async run(ctx, opts) {
      spec.check?.(opts);
      const file = opts.required('file');
      const xml = await ctx.readFile(file);
      let obj: Awaited<ReturnType<typeof spec.act>>;
      try {
        obj = await spec.act(ctx.conn, xml, opts);
      } catch (err) {
        throw vshFail(`Failed to ${spec.verb} ${spec.noun.toLowerCase()} from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`${spec.noun} ${obj.name} ${spec.done} from ${file}\n`);
    },
  };
}
