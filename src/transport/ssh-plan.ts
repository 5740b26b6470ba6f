/**
 * The SSH part of a connection plan (transports `ssh`, `libssh`, `libssh2`):
 * the command libvirt runs on the far side, the `ssh` command line, and the
 * settings of libvirt's in-process transports, plus which client runs it.
 *
 * What libvirt does (src/rpc/virnetclient.c: virNetClientSSHHelperCommand,
 * virNetClientNewSSH, virNetClientNewLibSSH2, virNetClientNewLibssh;
 * virnetsocket.c: virNetSocketNewConnectSSH; read for the facts):
 *
 * - `+ssh` runs `ssh [-p port] [-l user] [-i keyfile] -T -e none
 *   [-o BatchMode=yes] [-o StrictHostKeyChecking=no] -- host '<command>'`;
 * - `+libssh` / `+libssh2` log in themselves: user `root` unless the URI
 *   names one, `keyfile=` else the first of `~/.ssh/{identity,id_dsa,
 *   id_ecdsa,id_ed25519,id_rsa}` that exists, `known_hosts=` else
 *   `$XDG_CONFIG_HOME/libvirt/known_hosts`, `known_hosts_verify=normal`,
 *   `sshauth=agent,privkey,password,keyboard-interactive` (without `privkey`
 *   when there is no key), and run the same remote command over an exec channel.
 *
 * Here `+libssh` and `+libssh2` always run in process (ssh2). `+ssh` runs the
 * `ssh` program when one is on `PATH` (or `command=` names one), else the
 * in-process client with OpenSSH's configuration (`~/.ssh/config`,
 * `~/.ssh/known_hosts`); the `sshClient` choice overrides that.
 */
import { existsSync } from 'node:fs';
import { UriError } from './errors.js';
import { buildPath, userConfigDir, userHomeDir } from './config.js';
import type { RemotePlanEnv, RemoteProxy } from './remote-plan.js';
import type { RemoteOptions } from './remote-options.js';
import { asciiLower, type LibvirtUri } from './uri.js';

/** Which client carries an SSH transport: the `ssh` program, or the in-process client (ssh2). */
export type SshImplementation = 'program' | 'in-process';

/** The `sshClient` choice for `+ssh`: `auto` (the program when on `PATH`, else in-process), or one of them. */
export type SshClientChoice = 'auto' | SshImplementation;

/** SSH settings (transports `ssh`, `libssh`, `libssh2`). */
export interface SshPlan {
  /** The transport's SSH flavour, as libvirt names it: `ssh` (OpenSSH's semantics), `libssh` or `libssh2` (libvirt's in-process semantics). */
  readonly client: 'ssh' | 'libssh' | 'libssh2';
  /** Which client runs it: the `ssh` program, or the in-process client (always for libssh/libssh2). */
  readonly implementation: SshImplementation;
  /** The proxy actually used: `auto` becomes `netcat` when `netcat=` is given. */
  readonly proxy: RemoteProxy;
  /** The command run on the far side (`sh -c '...'`), exactly as libvirt builds it. */
  readonly remoteCommand: string;
  /** The URI handed to `virt-ssh-helper` (the CONNECT_OPEN name, but with `mode=` and `socket=` kept; secrets redacted). */
  readonly helperUri: string;
  /** The socket path given to netcat (`-U`). */
  readonly socketPath: string;
  /** The netcat binary on the far side. */
  readonly netcat: string;
  /**
   * For `client: 'ssh'`, the command line of the `ssh` program: `ssh [-p port] [-l user] [-i keyfile]
   * -T -e none [-o BatchMode=yes] [-o StrictHostKeyChecking=no] -- host <remoteCommand>`
   * (run when `implementation` is `program`); null for libssh/libssh2.
   */
  readonly argv: readonly string[] | null;
  /** The SSH user: the URI's user (without a password); for libssh/libssh2 `root` when the URI has none. */
  readonly username: string | null;
  /** The URI's user part carried a password (used by the in-process password method; never put on a command line). */
  readonly uriPassword: boolean;
  /** Private key: `keyfile=`; for libssh/libssh2 else the first of `~/.ssh/{identity,id_dsa,id_ecdsa,id_ed25519,id_rsa}` that exists. */
  readonly keyfile: string | null;
  /** libssh/libssh2: known-hosts file (`known_hosts=`, else `<user config dir>/known_hosts`); null for `ssh`. */
  readonly knownHosts: string | null;
  /** libssh/libssh2: host key policy (default `normal`); null for `ssh`. */
  readonly knownHostsVerify: 'normal' | 'auto' | 'ignore' | null;
  /** libssh/libssh2: authentication methods in order; null for `ssh`. */
  readonly authMethods: readonly string[] | null;
  /** `no_tty=1`: no prompts (`ssh -o BatchMode=yes`). */
  readonly noTty: boolean;
  /** `no_verify=1`: accept an unknown host key (`ssh -o StrictHostKeyChecking=no`). */
  readonly noVerify: boolean;
}

const KNOWN_HOSTS_VERIFY = ['normal', 'auto', 'ignore'] as const;
/** libvirt's SSH authentication methods (`sshauth=`). */
export const SSH_AUTH_METHODS: readonly string[] = ['agent', 'privkey', 'password', 'keyboard-interactive'];
const DEFAULT_SSH_KEYS = ['identity', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'id_rsa'];

/** Quotes a string for `sh` the way libvirt does: unchanged when it has no shell metacharacter, else in `'...'` with `'` as `'\''`. */
export function shellEscape(text: string): string {
  if (text === '') return "''";
  if (!/[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/.test(text)) return text;
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** {@link shellEscape} applied twice: the SSH server runs the command through a shell, which runs `sh -c` again. */
function doubleShellEscape(text: string): string {
  return shellEscape(shellEscape(text));
}

/** Options of {@link sshRemoteCommand}. */
export interface SshRemoteCommandOptions {
  /** The requested proxy. `auto` with a `netcat` binary given becomes `netcat`. */
  proxy: RemoteProxy;
  /** The `netcat=` binary, or null for `nc`. */
  netcat: string | null;
  /** The socket path given to netcat (inserted as is). */
  socketPath: string;
  /** The URI given to `virt-ssh-helper`. */
  helperUri: string;
  /** Pass `-r` to `virt-ssh-helper`. */
  readOnly: boolean;
}

/**
 * The command libvirt runs on the far side of an SSH connection:
 *
 * - netcat: `sh -c 'if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U <socket>'`
 * - native: `sh -c 'virt-ssh-helper [-r ]'<uri>''`
 * - auto: `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     <native>; else    <netcat>; fi'`
 *
 * The netcat binary and the URI are shell-quoted twice; the socket path is not quoted.
 *
 * @param uriForErrors - the URI text named by a UriError.
 * @throws UriError for `proxy=native` together with `netcat=`.
 */
export function sshRemoteCommand(opts: SshRemoteCommandOptions, uriForErrors = ''): { command: string; proxy: RemoteProxy } {
  let proxy = opts.proxy;
  if (proxy === 'auto' && opts.netcat !== null) proxy = 'netcat';
  const nc = doubleShellEscape(opts.netcat ?? 'nc');
  const ncCommand = `if '${nc}' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` + `'${nc}' $ARG -U ${opts.socketPath}`;
  const helperCommand = `virt-ssh-helper${opts.readOnly ? ' -r ' : ' '}'${doubleShellEscape(opts.helperUri)}'`;
  switch (proxy) {
    case 'auto':
      return {
        proxy,
        command: `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     ${helperCommand}; else    ${ncCommand}; fi'`,
      };
    case 'netcat':
      return { proxy, command: `sh -c '${ncCommand}'` };
    case 'native':
      if (opts.netcat !== null) {
        throw new UriError('invalid parameter "netcat": a netcat path cannot be used with proxy "native"', {
          uri: uriForErrors,
          part: 'parameter',
          parameter: 'netcat',
        });
      }
      return { proxy, command: `sh -c '${helperCommand}'` };
  }
}

/** Whether `program` can be run: a path that exists, or a name found in one of `PATH`'s directories. */
export function findProgram(program: string, path: string | undefined, exists: (p: string) => boolean = existsSync): string | null {
  if (program.includes('/')) return exists(program) ? program : null;
  for (const dir of (path ?? '').split(':')) {
    const candidate = buildPath(dir === '' ? '.' : dir, program);
    if (exists(candidate)) return candidate;
  }
  return null;
}

/** What {@link planSsh} needs from the rest of the planner. */
export interface SshPlanInput {
  readonly transport: 'ssh' | 'libssh' | 'libssh2';
  /** The URI text for errors. */
  readonly text: string;
  readonly parsed: LibvirtUri | null;
  readonly host: string;
  readonly port: number | null;
  readonly portExplicit: boolean;
  /** The URI's user, without a password. */
  readonly user: string | null;
  /** Whether the URI's user part carried a password. */
  readonly hasPassword: boolean;
  readonly options: RemoteOptions;
  readonly proxy: RemoteProxy;
  readonly socketPath: string;
  /** The helper URI, secrets redacted. */
  readonly helperUri: string;
  /** The helper URI holds secret parameters (it would put them on a command line). */
  readonly helperHasSecrets: boolean;
  readonly readOnly: boolean;
  readonly env: RemotePlanEnv;
  /** Finds the parameter name as written, for errors. */
  readonly paramName: (lower: string) => string;
}

/**
 * Plans an SSH transport (see the module comment).
 *
 * @throws UriError for an unknown `known_hosts_verify=` or `sshauth=` value,
 *   `proxy=native` with `netcat=`, a password in the URI when the `ssh`
 *   program would run (it would show on its command line), and secret
 *   parameters that the remote `virt-ssh-helper` command line would carry.
 */
export function planSsh(input: SshPlanInput): SshPlan {
  const { transport, text, options, env } = input;
  const vars = env.env ?? process.env;
  const exists = env.exists ?? existsSync;
  const remote = sshRemoteCommand(
    { proxy: input.proxy, netcat: options.netcat, socketPath: input.socketPath, helperUri: input.helperUri, readOnly: input.readOnly },
    text,
  );
  if (input.helperHasSecrets && remote.proxy !== 'netcat') {
    throw new UriError(
      'secret parameters would be put on the remote command line of virt-ssh-helper (visible to any user of the server): pass them another way, or use proxy=netcat',
      { uri: text, part: 'parameter' },
    );
  }
  const base = {
    proxy: remote.proxy,
    remoteCommand: remote.command,
    helperUri: input.helperUri,
    socketPath: input.socketPath,
    netcat: options.netcat ?? 'nc',
    uriPassword: input.hasPassword,
    noTty: options.noTty,
    noVerify: options.noVerify,
  };

  if (transport === 'ssh') {
    const choice = env.sshClient ?? 'auto';
    let implementation: SshImplementation;
    if (choice !== 'auto') implementation = choice;
    else if (options.command !== null)
      implementation = 'program'; // an explicit ssh binary
    else implementation = findProgram('ssh', vars.PATH, exists) !== null ? 'program' : 'in-process';
    if (implementation === 'program' && input.hasPassword) {
      throw new UriError(
        'a password in the user part cannot be given to the ssh program (it would show on its command line): ' +
          "use +libssh2 or the in-process client (sshClient: 'in-process'), which use it for password login, or an agent, a key or a credentials callback",
        { uri: text, part: 'user' },
      );
    }
    const argv: string[] = [options.command ?? 'ssh'];
    if (input.portExplicit) argv.push('-p', String(input.port));
    if (input.user !== null) argv.push('-l', input.user);
    if (options.keyfile !== null) argv.push('-i', options.keyfile);
    argv.push('-T', '-e', 'none');
    if (options.noTty) argv.push('-o', 'BatchMode=yes');
    if (options.noVerify) argv.push('-o', 'StrictHostKeyChecking=no');
    argv.push('--', input.host, remote.command);
    return {
      ...base,
      client: 'ssh',
      implementation,
      argv,
      username: input.user,
      keyfile: options.keyfile,
      knownHosts: null,
      knownHostsVerify: null,
      authMethods: null,
    };
  }

  const verifyText = options.knownHostsVerify ?? 'normal';
  const verify = (KNOWN_HOSTS_VERIFY as readonly string[]).includes(asciiLower(verifyText)) ? (asciiLower(verifyText) as SshPlan['knownHostsVerify']) : null;
  if (verify === null) {
    const name = input.paramName('known_hosts_verify');
    throw new UriError(`invalid value ${JSON.stringify(verifyText)} for parameter "${name}" (expected normal, auto or ignore)`, {
      uri: text,
      part: 'parameter',
      parameter: name,
    });
  }
  let keyfile = options.keyfile;
  if (keyfile === null) {
    const sshDir = buildPath(userHomeDir(env), '.ssh');
    keyfile = DEFAULT_SSH_KEYS.map((k) => buildPath(sshDir, k)).find((p) => exists(p)) ?? null;
  }
  const withKey = keyfile !== null || env.sshPrivateKey === true;
  const methodsText = options.sshauth ?? (withKey ? 'agent,privkey,password,keyboard-interactive' : 'agent,password,keyboard-interactive');
  const authMethods = methodsText.split(',');
  for (const method of authMethods) {
    if (!SSH_AUTH_METHODS.includes(asciiLower(method))) {
      const name = input.paramName('sshauth');
      throw new UriError(
        `invalid value ${JSON.stringify(methodsText)} for parameter "${name}": unknown method ${JSON.stringify(method)} (expected ${SSH_AUTH_METHODS.join(', ')})`,
        {
          uri: text,
          part: 'parameter',
          parameter: name,
        },
      );
    }
  }
  return {
    ...base,
    client: transport,
    implementation: 'in-process',
    argv: null,
    username: input.user ?? 'root',
    keyfile,
    knownHosts: options.knownHosts ?? buildPath(userConfigDir(env), 'known_hosts'),
    knownHostsVerify: verify,
    authMethods: authMethods.map(asciiLower),
  };
}
