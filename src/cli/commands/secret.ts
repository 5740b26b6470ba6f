/**
 * Secret commands, with virsh's output (tools/virsh-secret.c); a secret's
 * value file is read as virFileReadAll reads it.
 */
import { open } from 'node:fs/promises';
import type { Connection } from '../../api/connection.js';
import { parseUuid } from '../../api/uuid.js';
import {
  VIR_CONNECT_LIST_SECRETS_EPHEMERAL,
  VIR_CONNECT_LIST_SECRETS_NO_EPHEMERAL,
  VIR_CONNECT_LIST_SECRETS_NO_PRIVATE,
  VIR_CONNECT_LIST_SECRETS_PRIVATE,
  VIR_SECRET_DEFINE_VALIDATE,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullSecret } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { call } from '../support/failures.js';
import { flag, valueOpt, XPATH_OPTIONS, exclusive, strOpt, strArg } from '../support/options.js';
import { xpathOption, printXml } from '../support/xpath.js';
import { formatUuid, caseOrder } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { collectList, lookupEach, findOrFail } from '../support/lookup.js';
import { oneObjectCommand } from '../support/templates.js';
import { strerror } from '../support/strerror.js';
import { printJson, wantsJson } from '../support/json-output.js';
import { debugFoundOption, VSH_ERR_DEBUG } from '../support/debug.js';

/**
 * A file's bytes as virFileReadAll reads them: `Failed to open file 'PATH'`
 * or `Failed to read file 'PATH'` with the system's reason, the latter also
 * when the file holds more than `max` bytes.
 */
async function readFileLimited(path: string, max: number): Promise<Buffer> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new CliError([`Failed to open file '${path}': ${strerror(err)}`], { cause: err });
  }
  try {
    const buf = Buffer.alloc(max + 1);
    let len = 0;
    for (let n = -1; n !== 0 && len <= max; len += n) n = (await file.read(buf, len, max + 1 - len, null)).bytesRead;
    if (len > max) throw Object.assign(new Error('file too large'), { code: 'EOVERFLOW' });
    return buf.subarray(0, len);
  } catch (err) {
    throw new CliError([`Failed to read file '${path}': ${strerror(err)}`], { cause: err });
  } finally {
    await file.close();
  }
}

const GROUP = 'Secret';
const SECRET: OptionSpec = valueOpt('secret', 'string', 'secret UUID', { required: true });
/** virSecretUsageType's names, by value. */
const USAGE_TYPES = ['none', 'volume', 'ceph', 'iscsi', 'tls', 'vtpm'];
/** The most a secret-set-value --file may hold. */
const SECRET_FILE_MAX = 1024;

/** The secret named by a UUID (virsh looks secrets up by UUID only, parsed on the client side). */
function lookupSecret(conn: Connection, text: string): Promise<RemoteNonnullSecret> {
  const message = `failed to get secret '${text}'`;
  debugFoundOption('secret', text, VSH_ERR_DEBUG);
  const uuid = parseUuid(text);
  if (!uuid) throw new CliError([message, 'uuidstr in virSecretLookupByUUIDString must be a valid UUID']);
  return findOrFail([{ when: true, find: () => conn.raw.secretLookupByUUID(uuid) }], message);
}

/** The command's `<secret>` option, looked up. */
const secretOf = (ctx: CommandContext, opts: ParsedOptions): Promise<RemoteNonnullSecret> => lookupSecret(ctx.conn, strArg(opts, 'secret'));

const RANK = new Map<number, number>(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c.charCodeAt(0), i] as [number, number]).concat([[0x3d, 0]]),
);

/**
 * Base64 decoded as glib's g_base64_decode does it: the text ends at its
 * first NUL, characters outside the alphabet are skipped, a trailing partial
 * group is dropped, and `=` only shortens the group it ends.
 */
function decodeBase64Lenient(input: Uint8Array): Uint8Array {
  const end = input.indexOf(0);
  const out: number[] = [];
  let value = 0;
  let count = 0;
  let last = 0;
  let beforeLast = 0;
  for (const c of end < 0 ? input : input.subarray(0, end)) {
    const rank = RANK.get(c);
    if (rank === undefined) continue;
    beforeLast = last;
    last = c;
    value = ((value << 6) | rank) & 0xffffff;
    if (++count < 4) continue;
    out.push(value >> 16);
    if (beforeLast !== 0x3d) out.push((value >> 8) & 0xff);
    if (last !== 0x3d) out.push(value & 0xff);
    count = 0;
  }
  return Uint8Array.from(out);
}

/** Secret commands. */
export const secretCommands: readonly CommandSpec[] = [
  {
    name: 'secret-define',
    group: GROUP,
    help: 'define or modify a secret from an XML file',
    description: 'Define or modify a secret.',
    options: [
      valueOpt('file', 'string', 'file containing secret attributes in XML', { required: true }),
      flag('validate', 'validate the XML against the schema'),
    ],
    async run(ctx, opts) {
      const file = strArg(opts, 'file');
      const xml = await ctx.readFile(file);
      const secret = await call(
        () => ctx.conn.raw.secretDefineXML(xml, opts.bool('validate') ? VIR_SECRET_DEFINE_VALIDATE : 0),
        `Failed to set attributes from ${file}`,
      );
      if (!ctx.quiet) ctx.print(`Secret ${formatUuid(secret.uuid)} created\n`);
    },
  },
  {
    name: 'secret-dumpxml',
    group: GROUP,
    help: 'secret attributes in XML',
    description: 'Output attributes of a secret as an XML dump to stdout.',
    options: [SECRET, ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const secret = await secretOf(ctx, opts);
      let xpath: ReturnType<typeof xpathOption>;
      try {
        xpath = xpathOption(opts);
      } catch (err) {
        // virsh 9.0 returns here without freeing the secret, and says so when it disconnects.
        throw new CliError(['One or more references were leaked after disconnect from the hypervisor'], { cause: err });
      }
      printXml(ctx, await ctx.conn.raw.secretGetXMLDesc(secret, 0), xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'secret-get-value',
    group: GROUP,
    help: 'Output a secret value',
    description: 'Output a secret value to stdout.',
    options: [SECRET, flag('plain', 'get value without converting to base64')],
    async run(ctx, opts) {
      const secret = await secretOf(ctx, opts);
      const value = await ctx.conn.raw.secretGetValue(secret, 0);
      // virsh writes the value with no newline after it (the command's closing blank line ends it).
      ctx.print(opts.bool('plain') ? Buffer.from(value).toString('utf8') : Buffer.from(value).toString('base64'));
    },
  },
  {
    name: 'secret-list',
    group: GROUP,
    help: 'list secrets',
    description: 'Returns a list of secrets',
    options: [
      flag('ephemeral', 'list ephemeral secrets'),
      flag('no-ephemeral', 'list non-ephemeral secrets'),
      flag('private', 'list private secrets'),
      flag('no-private', 'list non-private secrets'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      const raw = ctx.conn.raw;
      const flag = (name: string, value: number): number => (opts.bool(name) ? value : 0);
      const flags =
        flag('ephemeral', VIR_CONNECT_LIST_SECRETS_EPHEMERAL) |
        flag('no-ephemeral', VIR_CONNECT_LIST_SECRETS_NO_EPHEMERAL) |
        flag('private', VIR_CONNECT_LIST_SECRETS_PRIVATE) |
        flag('no-private', VIR_CONNECT_LIST_SECRETS_NO_PRIVATE);
      const secrets = await collectList(
        async () => (await raw.connectListAllSecrets(1, flags)).secrets,
        async () => {
          if (flags) throw new CliError(['Filtering is not supported by this libvirt']);
          const count = await call(() => raw.connectNumOfSecrets(), 'Failed to count secrets');
          if (count === 0) return [];
          const uuids = await call(() => raw.connectListSecrets(count), 'Failed to list secrets');
          return lookupEach(uuids, (u) => raw.secretLookupByUUID(parseUuid(u) ?? new Uint8Array(16)));
        },
        'Failed to list node secrets',
      );
      if (wantsJson(opts)) {
        const records = secrets.map((s) => ({
          uuid: formatUuid(s.uuid),
          usage_type: s.usageType ? (USAGE_TYPES[s.usageType] ?? null) : null,
          usage_id: s.usageType ? s.usageID : null,
        }));
        printJson(
          ctx,
          records.sort((a, b) => caseOrder(a.uuid, b.uuid)),
        );
        return;
      }
      const rows = secrets
        .map((s) => [formatUuid(s.uuid), s.usageType ? `${USAGE_TYPES[s.usageType] ?? ''} ${s.usageID}` : 'Unused'])
        .sort((a, b) => caseOrder(a[0], b[0]));
      ctx.print(formatTable(['UUID', 'Usage'], rows, ctx.quiet));
    },
  },
  {
    name: 'secret-set-value',
    group: GROUP,
    help: 'set a secret value',
    description: 'Set a secret value.',
    options: [
      SECRET,
      valueOpt('file', 'string', 'read secret from file', { named: true }),
      flag('plain', 'read the secret from file without converting from base64'),
      flag('interactive', 'read the secret from the terminal'),
      valueOpt('base64', 'string', 'base64-encoded secret value'),
    ],
    async run(ctx, opts) {
      exclusive(opts, ['file', 'base64'], ['plain', 'base64'], ['interactive', 'base64'], ['interactive', 'plain'], ['interactive', 'file']);
      const secret = await secretOf(ctx, opts);
      const base64 = strOpt(opts, 'base64');
      const file = strOpt(opts, 'file');
      let plain = opts.bool('plain');
      let value: Uint8Array;
      if (base64 !== undefined) {
        // virsh warns on stderr and goes on.
        ctx.printError?.('error: Passing secret value as command-line argument is insecure!\n');
        value = Buffer.from(base64, 'utf8');
      } else if (file !== undefined) {
        value = await readFileLimited(file, SECRET_FILE_MAX);
      } else if (opts.bool('interactive')) {
        // virsh reads a line from the terminal (or from stdin when there is none); a
        // command context has no input, so this reads what a closed stdin gives: nothing.
        ctx.print('Enter new value for secret:');
        value = new Uint8Array(0);
        plain = true;
      } else {
        throw new CliError(['Input secret value is missing']);
      }
      if (!plain) value = decodeBase64Lenient(value);
      await call(() => ctx.conn.raw.secretSetValue(secret, value, 0), 'Failed to set secret value');
      if (!ctx.quiet) ctx.print('Secret value set\n');
    },
  },
  oneObjectCommand({
    name: 'secret-undefine',
    group: GROUP,
    help: 'undefine a secret',
    description: 'Undefine a secret.',
    option: SECRET,
    check: (opts) => strArg(opts, 'secret'),
    lookup: lookupSecret,
    noun: 'Secret',
    verb: 'delete',
    done: 'deleted',
    act: (conn, secret) => conn.raw.secretUndefine(secret),
  }),
];
