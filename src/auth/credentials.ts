/**
 * How a caller supplies credentials, and libvirt's `auth.conf`.
 *
 * `connect(uri, { credentials })` takes either a fixed `{ username, password }`, or a callback in
 * the manner of libvirt's `virConnectAuth`: it is handed the credentials the authentication
 * needs (each with a `VIR_CRED_*` type and a prompt) and answers them in order.
 *
 * Before asking, the client looks in libvirt's auth.conf, exactly where and how libvirt does
 * (src/util/virauth.c `virAuthGetConfigFilePathURI`, src/util/virauthconfig.c
 * `virAuthConfigLookup`, src/remote/remote_driver.c `remoteAuthFillFromConfig`):
 *
 * - the file: `$LIBVIRT_AUTH_FILE`, else the URI's `authfile=`, else
 *   `$XDG_CONFIG_HOME/libvirt/auth.conf` (`~/.config/libvirt/auth.conf`) when readable, else
 *   `/etc/libvirt/auth.conf` when readable, else none;
 * - the format is a GLib key file: `[auth-libvirt-HOSTNAME]` (else `[auth-libvirt-default]`)
 *   says `credentials=NAME`, and `[credentials-NAME]` holds `username`, `authname`, `password`,
 *   `realm`. HOSTNAME is the URI's host, `localhost` when it has none.
 *
 * ```ini
 * [credentials-prod]
 * authname=alice
 * password=secret
 *
 * [auth-libvirt-localhost]
 * credentials=prod
 * ```
 *
 * @module
 */
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import {
  VIR_CRED_AUTHNAME,
  VIR_CRED_ECHOPROMPT,
  VIR_CRED_EXTERNAL,
  VIR_CRED_NOECHOPROMPT,
  VIR_CRED_PASSPHRASE,
  VIR_CRED_REALM,
  VIR_CRED_USERNAME,
} from '../procedures/libvirt-api.gen.js';
import { buildPath, userConfigDir } from '../transport/config.js';
import { ConfigError } from '../transport/errors.js';
import { AuthenticationError } from './errors.js';

/** One credential the authentication needs, as libvirt's `virConnectCredential` describes it. */
export interface CredentialRequest {
  /** A `VIR_CRED_*` type: `VIR_CRED_AUTHNAME` (the name to log in as), `VIR_CRED_PASSPHRASE`, `VIR_CRED_USERNAME` (a name to act as), `VIR_CRED_REALM`. */
  readonly type: number;
  /** Text to show the user, as Cyrus SASL words it (`Please enter your authentication name`). */
  readonly prompt: string;
  /** Extra information from the mechanism, or null. */
  readonly challenge: string | null;
  /** A default answer, or null. */
  readonly defresult: string | null;
}

/**
 * Answers the requests, in order: a string, or null/undefined to leave one unanswered (which
 * fails the authentication). Throwing, or rejecting, fails it too, with the error as `cause`.
 */
export type CredentialCallback = (
  requests: readonly CredentialRequest[],
) => readonly (string | null | undefined)[] | Promise<readonly (string | null | undefined)[]>;

/** A credentials callback with the credential types it can answer, as libvirt's `virConnectAuth`. */
export interface CredentialCallbackAuth {
  /**
   * The `VIR_CRED_*` types the callback answers (default {@link DEFAULT_CREDTYPES}, those of
   * libvirt's `virConnectAuthPtrDefault`). A mechanism's optional credentials are only asked for
   * when their type is listed: list `VIR_CRED_USERNAME` to be asked for an authorization identity.
   */
  readonly credtypes?: readonly number[];
  /** Asked once per authentication step that needs something, with every missing credential at once. */
  readonly callback: CredentialCallback;
}

/** A fixed user name and password. */
export interface PasswordCredentials {
  /** The name to log in as (SASL's authentication identity, libvirt's `VIR_CRED_AUTHNAME`). */
  readonly username: string;
  /** The password. */
  readonly password: string;
  /** An authorization identity to act as (`VIR_CRED_USERNAME`); none by default. */
  readonly authzid?: string;
}

/** What `connect()`'s `credentials` option takes. */
export type Credentials = PasswordCredentials | CredentialCallbackAuth | CredentialCallback;

/** The credential types of libvirt's `virConnectAuthPtrDefault`. */
export const DEFAULT_CREDTYPES: readonly number[] = [
  VIR_CRED_AUTHNAME,
  VIR_CRED_ECHOPROMPT,
  VIR_CRED_REALM,
  VIR_CRED_PASSPHRASE,
  VIR_CRED_NOECHOPROMPT,
  VIR_CRED_EXTERNAL,
];

/** The credential types a caller's {@link Credentials} can answer. */
export function credentialTypes(credentials: Credentials | undefined): readonly number[] {
  if (credentials === undefined) return [];
  if (typeof credentials === 'function') return DEFAULT_CREDTYPES;
  if ('callback' in credentials) return credentials.credtypes ?? DEFAULT_CREDTYPES;
  return credentials.authzid !== undefined ? [VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_USERNAME] : [VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE];
}

// ---------------------------------------------------------------------------------------------
// auth.conf

/** Environment of the auth.conf lookup. */
export interface AuthFileEnv {
  /** Environment variables (default `process.env`): `LIBVIRT_AUTH_FILE`, `XDG_CONFIG_HOME`, `HOME`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The URI's `authfile=` parameter, if any. */
  readonly uriAuthFile?: string | null;
  /** System configuration directory (default `/etc`). */
  readonly sysconfDir?: string;
  /** Whether a file is readable (default `fs.accessSync(path, R_OK)`). */
  readonly readable?: (path: string) => boolean;
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The auth.conf libvirt would use (virAuthGetConfigFilePathURI): `$LIBVIRT_AUTH_FILE` (even if
 * missing), else `authfile=` from the URI, else the per-user file, else `/etc/libvirt/auth.conf`,
 * each of the last two only when readable; null when there is none.
 */
export function authConfigPath(opts: AuthFileEnv = {}): string | null {
  const env = opts.env ?? process.env;
  const fromEnv = env.LIBVIRT_AUTH_FILE;
  if (fromEnv) return fromEnv;
  if (opts.uriAuthFile) return opts.uriAuthFile;
  const readable = opts.readable ?? isReadable;
  const user = buildPath(userConfigDir({ env }), 'auth.conf');
  if (readable(user)) return user;
  const system = buildPath(opts.sysconfDir ?? '/etc', 'libvirt', 'auth.conf');
  if (readable(system)) return system;
  return null;
}

/** The credential names auth.conf knows, by `VIR_CRED_*` type (remoteAuthFillFromConfig). */
export const AUTH_CONF_CREDNAMES: Readonly<Record<number, string>> = {
  [VIR_CRED_USERNAME]: 'username',
  [VIR_CRED_AUTHNAME]: 'authname',
  [VIR_CRED_PASSPHRASE]: 'password',
  [VIR_CRED_REALM]: 'realm',
};

/** A parsed auth.conf. */
export class AuthConfig {
  /** The file it came from (or `<string>`). */
  readonly path: string;
  private readonly groups: Map<string, Map<string, string>>;

  private constructor(path: string, groups: Map<string, Map<string, string>>) {
    this.path = path;
    this.groups = groups;
  }

  /**
   * Parses the text of a GLib key file (what libvirt loads with `g_key_file_load_from_data`):
   * `[group]` headers, `key=value` lines (spaces around `=` ignored), `#` comments, blank lines;
   * values unescape `\s \n \t \r \\`. A later key or group of the same name wins / merges.
   *
   * @throws ConfigError naming the line of a malformed entry.
   */
  static parse(text: string, path = '<string>'): AuthConfig {
    const groups = new Map<string, Map<string, string>>();
    let current: Map<string, string> | null = null;
    const lines = text.split(/\r?\n/);
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.replace(/^[ \t\f\v]+/, '');
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('[')) {
        const m = /^\[([^\][]+)\][ \t]*$/.exec(line);
        if (!m || /[\x00-\x1f]/.test(m[1]!)) throw new ConfigError(`invalid group name in "${line}"`, { file: path, line: n + 1 });
        const name = m[1]!;
        current = groups.get(name) ?? new Map<string, string>();
        groups.set(name, current);
        continue;
      }
      const eq = line.indexOf('=');
      if (eq < 0) throw new ConfigError(`"${line}" is neither a group, a key=value pair nor a comment`, { file: path, line: n + 1 });
      const key = line.slice(0, eq).replace(/[ \t]+$/, '');
      if (key === '' || /[=\x00-\x1f]/.test(key)) throw new ConfigError(`invalid key name in "${line}"`, { file: path, line: n + 1 });
      if (!current) throw new ConfigError(`key "${key}" is not in a group`, { file: path, line: n + 1 });
      current.set(key, line.slice(eq + 1).replace(/^[ \t]+/, ''));
    }
    return new AuthConfig(path, groups);
  }

  /** Reads and parses `path`. @throws ConfigError when it cannot be read or parsed. */
  static load(path: string): AuthConfig {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read the auth file: ${(e as Error).message}`, { file: path, cause: e });
    }
    return AuthConfig.parse(text, path);
  }

  /** Whether the file has `[name]`. */
  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  /** The unescaped value of `key` in `[group]`, or null. @throws ConfigError on a bad escape. */
  get(group: string, key: string): string | null {
    const raw = this.groups.get(group)?.get(key);
    if (raw === undefined) return null;
    return unescapeValue(raw, this.path, group, key);
  }

  /**
   * `virAuthConfigLookup`: the `credname` (`username`, `authname`, `password`, `realm`) for
   * `service` (`libvirt`) on `hostname` (null → `localhost`), through `[auth-SERVICE-HOST]` or
   * else `[auth-SERVICE-default]` and the `[credentials-NAME]` group it names; null when the file
   * says nothing.
   *
   * @throws ConfigError when the auth group has no `credentials` item or names a missing group
   * (libvirt's VIR_ERR_CONF_SYNTAX).
   */
  lookup(service: string, hostname: string | null, credname: string): string | null {
    let authGroup = `auth-${service}-${hostname ?? 'localhost'}`;
    if (!this.hasGroup(authGroup)) authGroup = `auth-${service}-default`;
    if (!this.hasGroup(authGroup)) return null;
    const credName = this.get(authGroup, 'credentials');
    if (credName === null) {
      throw new ConfigError(`Missing item 'credentials' in group '${authGroup}' in '${this.path}'`, { file: this.path });
    }
    const credGroup = `credentials-${credName}`;
    if (!this.hasGroup(credGroup)) {
      throw new ConfigError(`Missing group 'credentials-${credName}' referenced from group '${authGroup}' in '${this.path}'`, { file: this.path });
    }
    return this.get(credGroup, credname);
  }
}

function unescapeValue(raw: string, path: string, group: string, key: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    const map: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };
    const v = next === undefined ? undefined : map[next];
    if (v === undefined) {
      throw new ConfigError(`invalid escape "\\${next ?? ''}" in the value of ${key} in [${group}]`, { file: path });
    }
    out += v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Collecting credentials

/** Context of {@link collectCredentials}. */
export interface CollectContext {
  /** What the caller gave `connect()`. */
  readonly credentials?: Credentials;
  /** The auth.conf to consult (loaded lazily by the caller), or null for none. */
  readonly authConfig: () => AuthConfig | null;
  /** The host for `[auth-SERVICE-HOST]` (the URI's host; null → `localhost`). */
  readonly hostname: string | null;
  /** The SASL mechanism asking, for messages. */
  readonly mechanism: string;
  /** The auth.conf service (`[auth-SERVICE-HOST]`): `libvirt` (default) for SASL, `ssh` for SSH passwords. */
  readonly service?: string;
  /** Who asks, for messages (default `SASL <mechanism>`), e.g. `SSH password login to alice@host`. */
  readonly purpose?: string;
}

/**
 * Fills `requests` as libvirt's remoteAuthInteract does, plus fixed credentials first:
 * fixed `{ username, password }` answer what they can; then auth.conf; then the callback is
 * asked, once, for everything still missing.
 *
 * @returns the answers, in the order of `requests`.
 * @throws AuthenticationError (`credentials`) when something stays unanswered, the callback
 * fails, or there is no way to ask; ConfigError for a broken auth.conf.
 */
export async function collectCredentials(requests: readonly CredentialRequest[], ctx: CollectContext): Promise<string[]> {
  const answers: (string | null)[] = requests.map(() => null);
  const creds = ctx.credentials;
  if (creds !== undefined && typeof creds !== 'function' && !('callback' in creds)) {
    requests.forEach((r, i) => {
      if (r.type === VIR_CRED_AUTHNAME) answers[i] = creds.username;
      else if (r.type === VIR_CRED_PASSPHRASE || r.type === VIR_CRED_NOECHOPROMPT) answers[i] = creds.password;
      else if (r.type === VIR_CRED_USERNAME && creds.authzid !== undefined) answers[i] = creds.authzid;
    });
  }
  if (answers.some((a) => a === null)) {
    const config = ctx.authConfig();
    if (config) {
      requests.forEach((r, i) => {
        const credname = AUTH_CONF_CREDNAMES[r.type];
        if (answers[i] === null && credname) answers[i] = config.lookup(ctx.service ?? 'libvirt', ctx.hostname, credname);
      });
    }
  }
  const missing = requests.map((r, i) => ({ r, i })).filter(({ i }) => answers[i] === null);
  if (missing.length > 0) {
    const callback = typeof creds === 'function' ? creds : creds && 'callback' in creds ? creds.callback : null;
    if (!callback) {
      const what = missing.map(({ r }) => credentialTypeName(r.type)).join(', ');
      throw new AuthenticationError(
        'credentials',
        `No authentication callback available (${ctx.purpose ?? `SASL ${ctx.mechanism}`} needs ${what}: pass \`credentials\` to connect() or write them in auth.conf)`,
      );
    }
    let got: readonly (string | null | undefined)[];
    try {
      got = await callback(missing.map(({ r }) => r));
    } catch (e) {
      throw new AuthenticationError('credentials', `Failed to collect auth credentials: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    if (!Array.isArray(got)) {
      throw new AuthenticationError('credentials', 'Failed to collect auth credentials: the callback did not return an array');
    }
    missing.forEach(({ r, i }, k) => {
      const v = got[k];
      if (typeof v !== 'string') {
        throw new AuthenticationError('credentials', `Failed to collect auth credentials: no answer for ${credentialTypeName(r.type)} ("${r.prompt}")`);
      }
      answers[i] = v;
    });
  }
  return answers as string[];
}

/** `VIR_CRED_AUTHNAME` for 2, and so on. */
export function credentialTypeName(type: number): string {
  const names: Record<number, string> = {
    [VIR_CRED_USERNAME]: 'VIR_CRED_USERNAME',
    [VIR_CRED_AUTHNAME]: 'VIR_CRED_AUTHNAME',
    [VIR_CRED_PASSPHRASE]: 'VIR_CRED_PASSPHRASE',
    [VIR_CRED_REALM]: 'VIR_CRED_REALM',
    [VIR_CRED_ECHOPROMPT]: 'VIR_CRED_ECHOPROMPT',
    [VIR_CRED_NOECHOPROMPT]: 'VIR_CRED_NOECHOPROMPT',
    [VIR_CRED_EXTERNAL]: 'VIR_CRED_EXTERNAL',
  };
  return names[type] ?? `credential type ${type}`;
}
