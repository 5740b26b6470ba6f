/**
 * How libvirt's remote driver turns a URI into a connection: which transport,
 * host and port, which query parameters it keeps for itself, the name it
 * sends in `REMOTE_PROC_CONNECT_OPEN`, the UNIX socket it picks, and for the
 * SSH transports the command it runs on the far side.
 *
 * Pure logic: nothing here opens a connection. The only outside facts used
 * (environment variables, the effective uid, whether a socket file exists)
 * come through {@link RemotePlanEnv}.
 */
import { effectiveUid, type VirConf } from './config.js';
import { UriError } from './errors.js';
import { NO_OPTIONS, paramName, pick, readOptions, requestedMode, requestedProxy, uriText, type RemoteOptions } from './remote-options.js';
import { remoteUnixSocket, type UnixSocketQuery } from './remote-socket.js';
import { planSsh, type SshClientChoice, type SshPlan } from './ssh-plan.js';
import { asciiLower, formatUri, parseUri, type LibvirtUri, type UriParam } from './uri.js';
import { attachPlanSecrets, hasSecretParams, redactParams, redactUriText, redactUserInfo, splitUserInfo } from './uri-secrets.js';

export { REMOTE_CONSUMED_PARAMS } from './remote-options.js';
export type { RemoteOptions } from './remote-options.js';
export { remoteUnixSocket } from './remote-socket.js';
export type { UnixSocketChoice, UnixSocketQuery } from './remote-socket.js';
export { shellEscape, sshRemoteCommand } from './ssh-plan.js';
export type { SshPlan, SshImplementation, SshClientChoice, SshRemoteCommandOptions } from './ssh-plan.js';

/** The transports the remote driver knows (the part after `+` in the scheme, any case). */
export type RemoteTransport = 'tls' | 'unix' | 'ssh' | 'libssh2' | 'ext' | 'tcp' | 'libssh';

/** Every {@link RemoteTransport}, in libvirt's order. */
export const REMOTE_TRANSPORTS: readonly RemoteTransport[] = ['tls', 'unix', 'ssh', 'libssh2', 'ext', 'tcp', 'libssh'];

/** How the UNIX socket is chosen: `legacy` = libvirtd's socket, `direct` = the per-driver modular daemon's, `auto` = look. */
export type RemoteMode = 'auto' | 'legacy' | 'direct';

/** How an SSH tunnel reaches the daemon: `netcat` (`nc -U socket`), `native` (`virt-ssh-helper`), `auto` (the helper when installed, else netcat). */
export type RemoteProxy = 'auto' | 'netcat' | 'native';

/** Default port of the plain TCP transport (libvirtd's `tcp_port`). */
export const LIBVIRTD_TCP_PORT = 16509;
/** Default port of the TLS transport (libvirtd's `tls_port`). */
export const LIBVIRTD_TLS_PORT = 16514;
/** Default SSH port. */
export const SSH_PORT = 22;

/** Where the plan takes its outside facts from. Every field is optional. */
export interface RemotePlanEnv {
  /** Open read-only (`VIR_CONNECT_RO`): `-ro` system sockets, `virt-ssh-helper -r`. Default false. */
  readOnly?: boolean;
  /** Environment variables (default `process.env`): `XDG_RUNTIME_DIR`, `XDG_CACHE_HOME`, `XDG_CONFIG_HOME`, `HOME`, `LIBVIRT_AUTOSTART`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Effective uid of the client (default `process.geteuid()`); non-zero uids use session daemons for `/session` URIs. */
  uid?: number;
  /** Home directory (default `$HOME`), for `~/.cache` and default SSH keys. */
  homeDir?: string;
  /** Whether a file exists (default `fs.existsSync`); used for socket discovery in `auto` mode and default SSH keys. */
  exists?: (path: string) => boolean;
  /** libvirt.conf, for `remote_mode`, `remote_proxy` and `tls_priority` when the URI does not say. */
  conf?: VirConf | null;
  /** libvirt's LOCALSTATEDIR (default `/var`): system sockets are `<localStateDir>/run/libvirt/...`. */
  localStateDir?: string;
  /** libvirt's RUNSTATEDIR (default `/run`), only used when probing for a driver without URI. */
  runStateDir?: string;
  /**
   * The mode libvirt was built to fall back on (`remote_default_mode`) when
   * `auto` finds neither socket. Default `legacy`; distributions that ship
   * modular daemons build with `direct`.
   */
  defaultMode?: 'legacy' | 'direct';
  /**
   * Which client carries `+ssh`: `auto` (default) runs the `ssh` program when `command=` names
   * one or `ssh` is on `PATH`, else the in-process client; `program` or `in-process` choose.
   * (`+libssh` and `+libssh2` always run in process.)
   */
  sshClient?: SshClientChoice;
  /** A private key is given in memory (connect's `ssh.privateKey`): libssh/libssh2 then try `privkey` by default. */
  sshPrivateKey?: boolean;
}

/** TLS settings (transport `tls` only). */
export interface TlsPlan {
  /** `pkipath=`, or null for libvirt's default certificate locations. */
  readonly pkiPath: string | null;
  /** `tls_priority=`, else `tls_priority` from libvirt.conf, else null (the built-in default). */
  readonly priority: string | null;
  /** Verify the server certificate (false with `no_verify`). */
  readonly verifyPeer: boolean;
  /** Sanity-check the local certificates first (false with `no_sanity`). */
  readonly sanityCheck: boolean;
}

/** What libvirt's remote driver would do for one URI. */
export interface RemotePlan {
  /**
   * The parsed URI, or null when planning without URI (the daemon picks the driver). Secrets are
   * redacted: a password in the user part reads `user:***`, secret parameters `***`.
   */
  readonly uri: LibvirtUri | null;
  /** The hypervisor driver (scheme before `+`), or null without URI. */
  readonly driver: string | null;
  /** The transport. */
  readonly transport: RemoteTransport;
  /** Host to reach: the URI's host, or `localhost`. */
  readonly host: string;
  /** Port: the URI's, else 16509 (tcp), 16514 (tls), 22 (ssh, libssh, libssh2); null for unix and ext. */
  readonly port: number | null;
  /** True when the port came from the URI. */
  readonly portExplicit: boolean;
  /** The URI's user name (the user part without any `:password`), or null. */
  readonly user: string | null;
  /** The parameters the driver consumed. */
  readonly options: RemoteOptions;
  /** The parameters passed on to the daemon in the CONNECT_OPEN name, in order (secret values redacted). */
  readonly passthroughParams: readonly UriParam[];
  /**
   * The name to send in CONNECT_OPEN: `name=` if given; `""` for the
   * `remote` driver or without URI; otherwise `driver://path?passthrough#fragment`
   * (no transport, user, host or port; e.g. `qemu+ssh://root@h/system?keyfile=k&foo=bar`
   * gives `qemu:///system?foo=bar`). Secret parameters read `***` here; the daemon gets their values.
   */
  readonly connectName: string;
  /**
   * True when the daemon chooses the driver (an empty name is sent), so the
   * client should ask REMOTE_PROC_CONNECT_GET_URI after opening to learn the
   * real URI. (libvirt itself only asks when it had no URI at all.)
   */
  readonly askUriAfterOpen: boolean;
  /** Read-only connection. */
  readonly readOnly: boolean;
  /** A per-user (session) daemon is wanted: path `/session` or scheme `test+...`, and a non-root client (or no URI and non-root). */
  readonly session: boolean;
  /** libvirt would start the session daemon itself if the socket is missing (unix, no host, `LIBVIRT_AUTOSTART` not `0`). */
  readonly autostart: boolean;
  /** The requested mode: `mode=`, else `remote_mode` from libvirt.conf, else `auto`. */
  readonly mode: RemoteMode;
  /** The mode the socket was picked with; null when `socket=` was given or the transport needs no socket. */
  readonly socketMode: 'legacy' | 'direct' | null;
  /** The requested proxy: `proxy=`, else `remote_proxy` from libvirt.conf, else `netcat` with `socket=`, `native` for a session, `auto` otherwise. */
  readonly proxy: RemoteProxy;
  /** The UNIX socket (local for unix, remote for the SSH transports); null for tcp, tls, ext. */
  readonly socketPath: string | null;
  /** The daemon behind a discovered socket (`virtqemud`, `libvirtd`, ...); null when `socket=` was given or there is no socket. */
  readonly daemonName: string | null;
  /** Whether libvirt calls this transport secure (tls, unix and the SSH transports; not tcp or ext). */
  readonly secure: boolean;
  /** TLS settings, for transport `tls`. */
  readonly tls: TlsPlan | null;
  /** SSH settings, for `ssh`, `libssh`, `libssh2`. */
  readonly ssh: SshPlan | null;
  /** For `ext`: the program to run, as a one-element argv (libvirt does not split `command=`). */
  readonly ext: { readonly argv: readonly [string] } | null;
}

/**
 * Works out, without any I/O beyond the injected `exists`, what libvirt's
 * remote driver would do to open `uri`.
 *
 * - transport: the scheme's `+transport` (any case); without one, `tls` when
 *   the URI has a host and `unix` when it has none;
 * - `null` plans the connection libvirt makes when it has no URI at all
 *   (unix socket, empty name, the daemon picks the driver).
 *
 * @throws UriError naming the part that is wrong: a malformed URI, an unknown
 *   transport, `unix` with a host, `qemu://system` (missing slash), an
 *   unknown `mode=`/`proxy=`/`known_hosts_verify=`/`sshauth=` value, a
 *   non-integer `no_verify=`/`no_tty=`/`no_sanity=`, `ext` without
 *   `command=`, `mode=direct` over SSH, `proxy=native` with `netcat=`.
 */
export function planRemoteConnection(uri: string | LibvirtUri | null, env: RemotePlanEnv = {}): RemotePlan {
  const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
  const text = typeof uri === 'string' ? uri : uriText(parsed);
  const readOnly = env.readOnly ?? false;
  const driver = parsed?.driver ?? null;
  const transport = transportOf(parsed, text);
  const { session, autostart } = sessionOf(parsed, transport, env);
  const port = parsed?.port ?? DEFAULT_PORTS[transport];
  const host = parsed?.host ?? 'localhost';
  const { user, password } = splitUserInfo(parsed?.user ?? null);
  const { options, passthrough, helperParams } = parsed === null ? { options: NO_OPTIONS, passthrough: [], helperParams: [] } : readOptions(parsed, text);
  const names = connectNames(parsed, options, passthrough, helperParams);
  const mode = requestedMode(options, parsed, text, env);
  const proxy = requestedProxy(options, parsed, text, env, session);
  if (transport === 'ext' && options.command === null) {
    throw new UriError('missing parameter "command" (required by the ext transport)', { uri: text, part: 'parameter', parameter: 'command' });
  }
  const socket = socketOf(transport, options, { transport, mode, driver, session, readOnly }, env, text);

  const plan: RemotePlan = {
    uri: parsed === null ? null : { ...parsed, user: redactUserInfo(parsed.user), params: redactParams(parsed.params), query: redactQuery(parsed) },
    driver,
    transport,
    host,
    port,
    portExplicit: parsed?.port != null,
    user,
    options,
    passthroughParams: redactParams(passthrough),
    connectName: names.shown,
    askUriAfterOpen: names.real === '',
    readOnly,
    session,
    autostart,
    mode,
    socketMode: socket.mode,
    proxy,
    socketPath: socket.path,
    daemonName: socket.daemon,
    secure: transport !== 'tcp' && transport !== 'ext',
    tls: transport === 'tls' ? tlsPlanOf(options, env) : null,
    ssh: isSshTransport(transport)
      ? planSsh({
          transport,
          text,
          parsed,
          host,
          port,
          portExplicit: parsed?.port != null,
          user,
          hasPassword: password !== null,
          options,
          proxy,
          socketPath: socket.path as string,
          helperUri: names.helper ?? names.shown,
          helperHasSecrets: hasSecretParams(helperParams),
          readOnly,
          env,
          paramName: (lower) => paramName(parsed, lower),
        })
      : null,
    ext: transport === 'ext' ? { argv: [options.command as string] } : null,
  };
  attachPlanSecrets(plan, { password, connectName: names.real });
  return plan;
}

/** The SSH transports (the `ssh` program or in process, libssh, libssh2). */
function isSshTransport(t: RemoteTransport): t is 'ssh' | 'libssh' | 'libssh2' {
  return t === 'ssh' || t === 'libssh' || t === 'libssh2';
}

/** Each transport's default port (remote_driver.c: LIBVIRTD_TLS_PORT, LIBVIRTD_TCP_PORT, 22); null where there is none. */
const DEFAULT_PORTS: Readonly<Record<RemoteTransport, number | null>> = {
  tls: LIBVIRTD_TLS_PORT,
  tcp: LIBVIRTD_TCP_PORT,
  ssh: SSH_PORT,
  libssh: SSH_PORT,
  libssh2: SSH_PORT,
  unix: null,
  ext: null,
};

/**
 * The transport: the scheme's `+transport` (any case); without one `tls` when
 * the URI has a host, `unix` when it has none (and without URI).
 *
 * @throws UriError for an unknown transport, `unix` with a host, or `qemu://system`
 *   (virConnectOpen's check for a missing slash).
 */
function transportOf(parsed: LibvirtUri | null, text: string): RemoteTransport {
  if (parsed === null) return 'unix';
  let transport: RemoteTransport;
  if (parsed.transport !== null) {
    const t = pick(REMOTE_TRANSPORTS, asciiLower(parsed.transport));
    if (t === null) {
      throw new UriError(`unknown transport ${JSON.stringify(parsed.transport)} (expected one of ${REMOTE_TRANSPORTS.join(', ')})`, {
        uri: text,
        part: 'transport',
      });
    }
    if (t === 'unix' && parsed.host !== null) {
      throw new UriError(`invalid host ${JSON.stringify(parsed.host)}: the unix transport cannot reach a remote server`, {
        uri: text,
        part: 'host',
      });
    }
    transport = t;
  } else {
    transport = parsed.host !== null ? 'tls' : 'unix';
  }
  // virConnectOpen's check for "qemu://system" meaning "qemu:///system".
  if (parsed.host !== null && ['qemu', 'vbox', 'vz'].includes(parsed.scheme) && (parsed.host === 'system' || parsed.host === 'session')) {
    throw new UriError(`invalid host ${JSON.stringify(parsed.host)} (maybe you want ${parsed.scheme}:///${parsed.host})`, {
      uri: text,
      part: 'host',
    });
  }
  return transport;
}

/**
 * Whether a per-user daemon is wanted (path `/session` or a `test+` scheme,
 * or no URI, for a non-root client) and whether libvirt would start it
 * itself (local unix socket, `LIBVIRT_AUTOSTART` not `0`).
 */
function sessionOf(parsed: LibvirtUri | null, transport: RemoteTransport, env: RemotePlanEnv): { session: boolean; autostart: boolean } {
  const uid = effectiveUid(env);
  const autostartAllowed = (env.env ?? process.env).LIBVIRT_AUTOSTART !== '0';
  if (parsed === null) return uid > 0 ? { session: true, autostart: autostartAllowed } : { session: false, autostart: false };
  if ((parsed.path === '/session' || parsed.scheme.startsWith('test+')) && uid > 0) {
    return { session: true, autostart: parsed.host === null && transport === 'unix' && autostartAllowed };
  }
  return { session: false, autostart: false };
}

/**
 * The name sent in CONNECT_OPEN (`real`), the same with secrets redacted
 * (`shown`), and the URI given to `virt-ssh-helper` (`helper`, redacted):
 * `name=` if given; `""` for the `remote` driver or without URI (the daemon
 * picks); otherwise `driver://path?passthrough#fragment`.
 */
function connectNames(
  parsed: LibvirtUri | null,
  options: RemoteOptions,
  passthrough: readonly UriParam[],
  helperParams: readonly UriParam[],
): { real: string; shown: string; helper: string | null } {
  if (options.name !== null) return { real: options.name, shown: options.name, helper: null };
  if (parsed === null || parsed.scheme === 'remote' || parsed.scheme.startsWith('remote+')) return { real: '', shown: '', helper: null };
  const base = { scheme: parsed.driver, path: parsed.path ?? '', fragment: parsed.fragment };
  const real = formatUri({ ...base, params: [...passthrough] });
  return { real, shown: redactUriText(real), helper: redactUriText(formatUri({ ...base, params: [...helperParams] })) };
}

/** The UNIX socket: `socket=` as given, else the one {@link remoteUnixSocket} picks; none for tcp, tls and ext. */
function socketOf(
  transport: RemoteTransport,
  options: RemoteOptions,
  query: UnixSocketQuery,
  env: RemotePlanEnv,
  text: string,
): { path: string | null; mode: 'legacy' | 'direct' | null; daemon: string | null } {
  if (transport !== 'unix' && !isSshTransport(transport)) return { path: null, mode: null, daemon: null };
  if (options.socket !== null) return { path: options.socket, mode: null, daemon: null };
  const choice = remoteUnixSocket(query, env, text);
  return { path: choice.path, mode: choice.mode, daemon: choice.daemon };
}

/** The TLS settings: `pkipath=`, `tls_priority=` (else libvirt.conf's), `no_verify`, `no_sanity`. */
function tlsPlanOf(options: RemoteOptions, env: RemotePlanEnv): TlsPlan {
  return {
    pkiPath: options.pkipath,
    priority: options.tlsPriority ?? env.conf?.getString('tls_priority') ?? null,
    verifyPeer: !options.noVerify,
    sanityCheck: !options.noSanity,
  };
}

/** The raw query with secret values redacted (null stays null). */
function redactQuery(uri: LibvirtUri): string | null {
  if (uri.query === null || !hasSecretParams(uri.params)) return uri.query;
  return redactUriText(`x:?${uri.query}`).slice(3);
}
