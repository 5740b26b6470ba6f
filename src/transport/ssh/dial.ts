/**
 * The in-process SSH transport: turns a plan (`+libssh`, `+libssh2`, or
 * `+ssh` without an `ssh` program) and the caller's SSH options into a chain
 * of SSH endpoints (jump hosts, then the target) and opens the exec channel
 * that carries the protocol.
 *
 * - `+libssh` / `+libssh2` follow libvirt: the plan's user, key file,
 *   `known_hosts=` file (the only one read, and written when a key is
 *   accepted), `known_hosts_verify=` and `sshauth=` order;
 * - `+ssh` follows OpenSSH: `~/.ssh/config` then `/etc/ssh/ssh_config`
 *   (HostName, User, Port, IdentityFile, ProxyJump, known hosts files,
 *   StrictHostKeyChecking, ...), `~/.ssh/known_hosts` (+ the system files),
 *   publickey (agent, then identity files), keyboard-interactive, password;
 *   the URI's user, port and `keyfile=` win, as on ssh's command line;
 *   `no_tty=1` is batch mode, `no_verify=1` accepts unknown keys.
 *
 * Options given to `connect()` (`ssh`) add what files cannot: a private key
 * and passphrase, known hosts text or a verifier, an agent socket, jump hosts.
 */
import { ArgumentError } from '../../errors/root.js';
import { access } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { AuthConfig, authConfigPath, type Credentials } from '../../auth/credentials.js';
import { buildPath, userHomeDir } from '../config.js';
import type { RemotePlan } from '../remote-plan.js';
import type { SshClientChoice } from '../ssh-plan.js';
import { planSecrets } from '../uri-secrets.js';
import type { AuthStep } from './auth.js';
import { endpointName, SshTransportError } from './errors.js';
import type { HostKeyPolicy, HostKeyVerifier, UnknownKeyPolicy } from './host-key.js';
import { parseKnownHosts, readKnownHostsFile, type KnownHostLine } from './known-hosts.js';
import { loadSsh2 } from './load.js';
import { openSshChannel, type SshEndpoint } from './session.js';
import { parseProxyJump, resolveSshConfig, type SshHostConfig } from './ssh-config.js';

/** SSH material and choices given to `connect()` (`options.ssh`). */
export interface SshConnectOptions {
  /** Which client carries `+ssh`: `auto` (default: the `ssh` program when on `PATH`), `program` or `in-process`. */
  readonly client?: SshClientChoice;
  /** A private key (OpenSSH, PEM or PuTTY format), tried before any key file. */
  readonly privateKey?: string | Buffer;
  /** The passphrase of `privateKey` (else it is asked through `credentials` when needed). */
  readonly passphrase?: string;
  /** known_hosts text (OpenSSH's format), used instead of the known_hosts files; nothing is written back. */
  readonly knownHosts?: string;
  /** Decides about host keys instead of the known_hosts check (it is told that check's verdict). */
  readonly hostVerifier?: HostKeyVerifier;
  /** The ssh-agent socket (default `$SSH_AUTH_SOCK`). */
  readonly agent?: string;
  /** Jump hosts, as OpenSSH's ProxyJump: `[user@]host[:port][,...]`. For `+ssh` it replaces the configuration's ProxyJump. */
  readonly proxyJump?: string;
  /** `+ssh` in process: the user configuration file (default `~/.ssh/config`); null reads none (nor the system file). */
  readonly configFile?: string | null;
}

/** Options of {@link dialInProcessSsh}. */
export interface InProcessSshDialOptions {
  readonly signal?: AbortSignal;
  readonly timeout?: number;
  /** Environment (default `process.env`): `HOME`, `SSH_AUTH_SOCK`, `XDG_CONFIG_HOME`, `LIBVIRT_AUTH_FILE`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Passwords, passphrases, keyboard-interactive answers and host key questions are asked through these. */
  readonly credentials?: Credentials;
  readonly ssh?: SshConnectOptions;
  /** Told about recorded host keys and configuration that cannot apply. */
  readonly onWarning?: (message: string) => void;
  /** ssh2's debug lines. */
  readonly onDebug?: (line: string) => void;
}

const OPENSSH_DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];

async function readLines(files: readonly string[], where: string): Promise<KnownHostLine[]> {
  const out: KnownHostLine[] = [];
  for (const f of files) {
    try {
      out.push(...(await readKnownHostsFile(f)));
    } catch (err) {
      throw new SshTransportError(`unable to load knownhosts file '${f}': ${(err as Error).message}`, {
        failure: 'config',
        endpoint: where,
        cause: err,
      });
    }
  }
  return out;
}

function keySteps(o: SshConnectOptions, files: readonly string[], name: 'privkey' | 'publickey'): AuthStep[] {
  const steps: AuthStep[] = [];
  if (o.privateKey !== undefined) {
    steps.push({ method: 'privkey', name, file: null, key: o.privateKey, ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}) });
  }
  for (const file of files) steps.push({ method: 'privkey', name, file });
  if (steps.length === 0 && name === 'privkey') steps.push({ method: 'privkey', name, file: null }); // recorded: no key file
  return steps;
}

/** libvirt's `+libssh`/`+libssh2` settings (see the module comment). */
async function libvirtChain(
  plan: RemotePlan,
  o: SshConnectOptions,
  agent: string | null,
  uriPassword: string | null,
  warn: (m: string) => void,
): Promise<SshEndpoint[]> {
  const ssh = plan.ssh!;
  const port = plan.port ?? 22;
  const where = endpointName(plan.host, port);
  const file = ssh.knownHosts;
  const lines = o.knownHosts !== undefined ? parseKnownHosts(o.knownHosts) : file !== null ? await readLines([file], where) : [];
  const unknown: UnknownKeyPolicy = ssh.knownHostsVerify === 'auto' ? 'record' : ssh.knownHostsVerify === 'ignore' ? 'ignore' : 'ask';
  const hostKeys: Omit<HostKeyPolicy, 'credentials'> = {
    lines,
    recordFile: o.knownHosts !== undefined ? null : file,
    files: file !== null ? [file] : [],
    unknown,
    hashNew: false,
    promptStyle: 'libvirt',
    ...(o.hostVerifier ? { verifier: o.hostVerifier } : {}),
    onWarning: warn,
  };
  const steps: AuthStep[] = [];
  for (const m of ssh.authMethods ?? []) {
    if (m === 'agent') steps.push({ method: 'agent', socket: agent });
    else if (m === 'privkey') steps.push(...keySteps(o, ssh.keyfile !== null ? [ssh.keyfile] : [], 'privkey'));
    else if (m === 'password') steps.push({ method: 'password' });
    else if (m === 'keyboard-interactive') steps.push({ method: 'keyboard-interactive' });
  }
  const username = ssh.username ?? 'root';
  const hops = jumpHosts(o.proxyJump ?? null, where).map((h) => ({
    host: h.host,
    port: h.port ?? 22,
    username: h.user ?? username,
    hostKeys,
    steps,
    uriPassword: null,
    interactive: true,
  }));
  return [...hops, { host: plan.host, port, username, hostKeys, steps, uriPassword, interactive: true }] as SshEndpoint[];
}

function jumpHosts(text: string | null, where: string): ReturnType<typeof parseProxyJump> {
  if (text === null) return [];
  try {
    return parseProxyJump(text);
  } catch (err) {
    throw new SshTransportError(`cannot use ProxyJump ${JSON.stringify(text)}: ${(err as Error).message}`, { failure: 'config', endpoint: where, cause: err });
  }
}

/** OpenSSH's settings for one host (the target or a jump host), from its resolved configuration. */
async function opensshEndpoint(
  cfg: SshHostConfig,
  o: SshConnectOptions,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  flags: { noTty: boolean; noVerify: boolean; uriPassword: string | null; exists: (p: string) => Promise<boolean> },
  warn: (m: string) => void,
): Promise<SshEndpoint> {
  const port = cfg.port ?? 22;
  const where = endpointName(cfg.hostName, port);
  if (cfg.proxyCommand !== null && cfg.proxyCommand.toLowerCase() !== 'none') {
    throw new SshTransportError(
      `the SSH configuration of ${cfg.originalHost} uses ProxyCommand, which the in-process SSH client cannot run: install ssh, or use ProxyJump`,
      { failure: 'config', endpoint: where },
    );
  }
  for (const n of cfg.notes) warn(n);
  const userFiles = (cfg.userKnownHostsFiles ?? [buildPath(home, '.ssh', 'known_hosts'), buildPath(home, '.ssh', 'known_hosts2')]).filter((f) => f !== 'none');
  const globalFiles = (cfg.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']).filter((f) => f !== 'none');
  const lines = o.knownHosts !== undefined ? parseKnownHosts(o.knownHosts) : await readLines([...userFiles, ...globalFiles], where);
  const batch = flags.noTty || cfg.batchMode === true;
  const strict = flags.noVerify ? 'no' : (cfg.strictHostKeyChecking ?? 'ask');
  const unknown: UnknownKeyPolicy =
    strict === 'yes' ? 'refuse' : strict === 'accept-new' || strict === 'no' || strict === 'off' ? 'record' : batch ? 'refuse' : 'ask';
  const recordFile = o.knownHosts !== undefined || userFiles.length === 0 || userFiles[0] === '/dev/null' ? null : userFiles[0]!;
  const hostKeys: Omit<HostKeyPolicy, 'credentials'> = {
    lines,
    recordFile,
    files: [...userFiles, ...globalFiles],
    unknown,
    hashNew: cfg.hashKnownHosts === true,
    promptStyle: 'openssh',
    ...(o.hostVerifier ? { verifier: o.hostVerifier } : {}),
    onWarning: warn,
  };
  let agent: string | null = o.agent ?? null;
  if (agent === null && cfg.identityAgent !== 'none') {
    agent = cfg.identityAgent !== null && cfg.identityAgent !== 'SSH_AUTH_SOCK' ? cfg.identityAgent : (env.SSH_AUTH_SOCK ?? null);
  }
  let identities = [...cfg.identityFiles];
  if (identities.length === 0) {
    identities = [];
    for (const name of OPENSSH_DEFAULT_IDENTITIES) {
      const p = buildPath(home, '.ssh', name);
      if (await flags.exists(p)) identities.push(p);
    }
  }
  const steps: AuthStep[] = [];
  for (const method of cfg.preferredAuthentications ?? ['publickey', 'keyboard-interactive', 'password']) {
    if (method === 'publickey' && cfg.pubkeyAuthentication !== false) {
      if (!(cfg.identitiesOnly === true && identities.length > 0)) steps.push({ method: 'agent', socket: agent });
      steps.push(...keySteps(o, identities, 'publickey'));
    } else if (method === 'keyboard-interactive' && cfg.kbdInteractiveAuthentication !== false) {
      steps.push({ method: 'keyboard-interactive' });
    } else if (method === 'password' && cfg.passwordAuthentication !== false) {
      steps.push({ method: 'password' });
    }
  }
  return {
    host: cfg.hostName,
    port,
    username: cfg.user ?? localUser(env),
    hostKeys: hostKeys as HostKeyPolicy,
    steps,
    uriPassword: flags.uriPassword,
    interactive: !batch,
    ...(cfg.connectTimeout !== null && cfg.connectTimeout > 0 ? { silenceMs: cfg.connectTimeout * 1000 } : {}),
  };
}

function localUser(env: Readonly<Record<string, string | undefined>>): string {
  return env.USER ?? env.LOGNAME ?? 'root';
}

async function fileExists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** `+ssh` in process: the target and its ProxyJump hops from OpenSSH's configuration. */
async function opensshChain(
  plan: RemotePlan,
  o: SshConnectOptions,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  uriPassword: string | null,
  warn: (m: string) => void,
): Promise<SshEndpoint[]> {
  const ssh = plan.ssh!;
  const sources = {
    homeDir: home,
    localUser: localUser(env),
    ...(o.configFile !== undefined ? { userConfig: o.configFile, ...(o.configFile === null ? { systemConfig: null } : {}) } : {}),
  };
  const cfg = resolveSshConfig(plan.host, sources, { user: plan.user, port: plan.portExplicit ? plan.port : null, identityFile: plan.options.keyfile });
  const flags = { noTty: ssh.noTty, noVerify: ssh.noVerify, uriPassword, exists: fileExists };
  const target = await opensshEndpoint(cfg, o, env, home, flags, warn);
  const hops: SshEndpoint[] = [];
  for (const hop of jumpHosts(o.proxyJump ?? cfg.proxyJump, endpointName(target.host, target.port))) {
    const hopCfg = resolveSshConfig(hop.host, sources, { user: hop.user, port: hop.port, identityFile: null });
    hops.push(await opensshEndpoint(hopCfg, o, env, home, { ...flags, uriPassword: null }, warn));
  }
  return [...hops, target];
}

/**
 * Dials an SSH transport in process (see the module comment) and resolves
 * with the stream of the remote command, ready for RPC.
 *
 * @throws SshTransportError naming the failure (host key with its
 *   fingerprint, the methods tried, the remote command's exit and stderr,
 *   the configuration that cannot apply); UnsupportedError when `ssh2`
 *   cannot be loaded; AbortError, TimeoutError.
 */
export async function dialInProcessSsh(plan: RemotePlan, options: InProcessSshDialOptions = {}): Promise<Duplex> {
  const ssh = plan.ssh;
  if (ssh === null) throw new ArgumentError(`dialInProcessSsh: the plan is for the ${plan.transport} transport`);
  options.signal?.throwIfAborted();
  const ssh2 = await loadSsh2();
  const env = options.env ?? process.env;
  const home = userHomeDir({ env });
  const o = options.ssh ?? {};
  const warn = options.onWarning ?? (() => {});
  const uriPassword = planSecrets(plan)?.password ?? null;
  let authConf: AuthConfig | null | undefined;
  const authConfig = (): AuthConfig | null => {
    if (authConf === undefined) {
      const path = authConfigPath({ env, uriAuthFile: plan.options.authfile });
      authConf = path !== null ? AuthConfig.load(path) : null;
    }
    return authConf;
  };
  const chain =
    ssh.client === 'ssh'
      ? await opensshChain(plan, o, env, home, uriPassword, warn)
      : await libvirtChain(plan, o, o.agent ?? env.SSH_AUTH_SOCK ?? null, uriPassword, warn);
  const withCreds = chain.map((e) => ({
    ...e,
    hostKeys: { ...e.hostKeys, ...(options.credentials !== undefined ? { credentials: options.credentials } : {}) },
  }));
  return openSshChannel(withCreds, ssh.remoteCommand, ssh.socketPath, {
    ssh2,
    authConfig,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.onDebug ? { debug: options.onDebug } : {}),
  });
}
