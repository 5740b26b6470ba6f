/**
 * The command line of `libvirt-rpc-bridge` (cli.ts) and its tokens file, turned into
 * {@link BridgeOptions}. Every bad argument or file gets a {@link ArgumentError} naming it.
 *
 * The tokens file is JSON, one entry per token:
 * `{ "<token>": { "uri": "qemu:///system", "readOnly": true, "maxConnections": 4, "maxMessageRate": 200 } }`;
 * `uri` may be left out when `--uri` gives a default.
 *
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ArgumentError } from '../errors/root.js';
import type { BridgeGrant, BridgeOptions } from './server.js';

/** The usage text of `libvirt-rpc-bridge --help`. */
export const BRIDGE_USAGE = `Usage: libvirt-rpc-bridge --tokens FILE [options]

Relays WebSocket clients (libvirt-rpc's connect(uri, { webSocket, token }), a browser page)
to libvirt daemons; each token names the daemon URI its clients reach and what they may do.

  --tokens FILE          JSON: { "TOKEN": { "uri": URI, "readOnly": BOOL, "maxConnections": N,
                         "maxMessageRate": N }, ... } (required; keep it private: mode 0600)
  --uri URI              daemon URI of the tokens that name none
  --listen ADDR          address to listen on (default 127.0.0.1)
  --port N               port (default 8080; 0: any free port, printed)
  --path PATH            URL path of the WebSocket (default /libvirt)
  --cert FILE, --key FILE  PEM certificate and key: serve wss:// (and https:// for --static)
  --origin ORIGIN        a browser Origin allowed to connect (repeatable; default none)
  --static DIR           serve the files of DIR over HTTP GET on the same port
  --max-frame BYTES      largest frame a client may send (default 33554436)
  --max-message-rate N   messages per second per connection (default no limit)
  --idle-timeout MS      close a client silent both ways this long (default 300000)
  --dial-timeout MS      bound on reaching the daemon (default 30000)
  --quiet                no log lines on stderr
  -h, --help             this text
`;

/** What the command line asks for. */
export interface BridgeCommand {
  /** `--help`: print the usage and do nothing else. */
  readonly help: boolean;
  /** `--quiet`. */
  readonly quiet: boolean;
  /** The bridge's options (without `log`). */
  readonly options: BridgeOptions;
  /** Warnings to log before starting (a tokens file others can read, plain ws off loopback). */
  readonly warnings: readonly string[];
}

const GRANT_KEYS = new Set(['uri', 'readOnly', 'maxConnections', 'maxMessageRate']);

function integer(name: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ArgumentError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

function readText(what: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ArgumentError(`${what} ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads and checks a tokens file; `defaultUri` fills in grants without a `uri`. */
export function readTokensFile(file: string, defaultUri: string | undefined): Record<string, BridgeGrant> {
  const text = readText('tokens file', file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ArgumentError(`tokens file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ArgumentError(`tokens file ${file} must hold a JSON object of "token": { "uri": ... }`);
  }
  const tokens: Record<string, BridgeGrant> = {};
  let n = 0;
  for (const [token, value] of Object.entries(data as Record<string, unknown>)) {
    n++;
    const where = `tokens file ${file}, token #${n}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ArgumentError(`${where}: must be an object { "uri": ... }`);
    const grant = value as Record<string, unknown>;
    for (const key of Object.keys(grant)) {
      if (!GRANT_KEYS.has(key)) throw new ArgumentError(`${where}: unknown key "${key}" (known: ${[...GRANT_KEYS].join(', ')})`);
    }
    const uri = grant.uri ?? defaultUri;
    if (typeof uri !== 'string' || uri === '') throw new ArgumentError(`${where}: "uri" must be a libvirt URI (or give --uri)`);
    if (grant.readOnly !== undefined && typeof grant.readOnly !== 'boolean') throw new ArgumentError(`${where}: "readOnly" must be true or false`);
    for (const key of ['maxConnections', 'maxMessageRate'] as const) {
      const v = grant[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 1)) {
        throw new ArgumentError(`${where}: "${key}" must be a whole number of at least 1`);
      }
    }
    tokens[token] = {
      uri,
      ...(grant.readOnly !== undefined ? { readOnly: grant.readOnly as boolean } : {}),
      ...(grant.maxConnections !== undefined ? { maxConnections: grant.maxConnections as number } : {}),
      ...(grant.maxMessageRate !== undefined ? { maxMessageRate: grant.maxMessageRate as number } : {}),
    };
  }
  if (n === 0) throw new ArgumentError(`tokens file ${file} holds no token`);
  return tokens;
}

/** Parses the arguments of `libvirt-rpc-bridge` (without `node` and the script). */
export function parseBridgeCommand(argv: readonly string[]): BridgeCommand {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        tokens: { type: 'string' },
        uri: { type: 'string' },
        listen: { type: 'string' },
        port: { type: 'string' },
        path: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        origin: { type: 'string', multiple: true },
        static: { type: 'string' },
        'max-frame': { type: 'string' },
        'max-message-rate': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'dial-timeout': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ArgumentError(`${(err as Error).message} (see --help)`, { cause: err });
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  if (values.help) return { help: true, quiet: false, options: { tokens: {} }, warnings: [] };
  const tokensFile = str('tokens');
  if (tokensFile === undefined) throw new ArgumentError('--tokens FILE is required (see --help)');
  const warnings: string[] = [];
  const tokens = readTokensFile(tokensFile, str('uri'));
  try {
    if ((statSync(tokensFile).mode & 0o077) !== 0) warnings.push(`the tokens file ${tokensFile} can be read by other users: chmod 600 it`);
  } catch {
    // Read above; a race here only loses the warning.
  }
  if ((str('cert') === undefined) !== (str('key') === undefined)) throw new ArgumentError('--cert and --key go together');
  const cert = str('cert') !== undefined ? readText('certificate', str('cert')!) : undefined;
  const key = str('key') !== undefined ? readText('key', str('key')!) : undefined;
  const listen = str('listen') ?? '127.0.0.1';
  const loopback = listen === 'localhost' || listen === '::1' || listen.startsWith('127.');
  if (!loopback && cert === undefined) warnings.push(`listening on ${listen} without --cert: tokens and traffic travel in clear`);
  const options: BridgeOptions = {
    tokens,
    listen,
    port: integer('port', str('port'), 0, 65535) ?? 8080,
    ...(str('path') !== undefined ? { path: str('path') } : {}),
    ...(cert !== undefined ? { cert, key } : {}),
    ...(values.origin !== undefined ? { origins: values.origin as string[] } : {}),
    ...(str('static') !== undefined ? { staticDir: str('static') } : {}),
    ...(str('max-frame') !== undefined ? { maxFrame: integer('max-frame', str('max-frame'), 28) } : {}),
    ...(str('max-message-rate') !== undefined ? { maxMessageRate: integer('max-message-rate', str('max-message-rate'), 1) } : {}),
    ...(str('idle-timeout') !== undefined ? { idleTimeout: integer('idle-timeout', str('idle-timeout'), 1) } : {}),
    ...(str('dial-timeout') !== undefined ? { dialTimeout: integer('dial-timeout', str('dial-timeout'), 1) } : {}),
  };
  return { help: false, quiet: values.quiet === true, options, warnings };
}
