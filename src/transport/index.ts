/**
 * libvirt URIs, libvirt.conf, and how libvirt's remote driver turns a URI
 * into a connection plan (pure logic, no network I/O).
 * @packageDocumentation
 */
export { UriError, ConfigError } from './errors.js';
export type { UriPart, UriErrorOptions, ConfigErrorOptions } from './errors.js';
export { parseUri, formatUri, formatParams, getUriParam } from './uri.js';
export type { LibvirtUri, UriParam, UriComponents } from './uri.js';
export {
  planRemoteConnection,
  remoteUnixSocket,
  sshRemoteCommand,
  shellEscape,
  REMOTE_TRANSPORTS,
  REMOTE_CONSUMED_PARAMS,
  LIBVIRTD_TCP_PORT,
  LIBVIRTD_TLS_PORT,
  SSH_PORT,
} from './remote-plan.js';
export type {
  RemotePlan,
  RemotePlanEnv,
  RemoteOptions,
  RemoteTransport,
  RemoteMode,
  RemoteProxy,
  TlsPlan,
  SshPlan,
  SshImplementation,
  SshClientChoice,
  UnixSocketQuery,
  UnixSocketChoice,
  SshRemoteCommandOptions,
} from './remote-plan.js';
export {
  VirConf,
  parseVirConf,
  loadLibvirtConf,
  libvirtConfPath,
  resolveDefaultUri,
  resolveUriAlias,
  findUriAlias,
  resolveConnectUri,
  userConfigDir,
  userCacheDir,
  userRuntimeDir,
  userHomeDir,
} from './config.js';
export type {
  ConfigEnv,
  VirConfValue,
  VirConfEntry,
  DefaultUri,
  ResolveConnectUriOptions,
  ConnectUriResolution,
} from './config.js';
export { findProgram, SSH_AUTH_METHODS } from './ssh-plan.js';
export { redactUriText, isSecretParam, REDACTED } from './uri-secrets.js';
export { dialPlan } from './dial.js';
export { dialWebSocket, WEBSOCKET_SUBPROTOCOL } from './websocket.js';
export type { WebSocketDialOptions } from './websocket.js';
export type { DialPlanOptions } from './dial.js';
export {
  dialTls,
  loadTlsCredentials,
  locateTlsCredentials,
  tlsPriorityToNode,
  TlsError,
  LIBVIRT_SYSTEM_CACERT,
  LIBVIRT_SYSTEM_CACRL,
  LIBVIRT_SYSTEM_CLIENTCERT,
  LIBVIRT_SYSTEM_CLIENTKEY,
} from './tls/index.js';
export type { TlsFailure, TlsCredentialPaths, TlsLocateEnv, TlsPriorityMapping, TlsDialOptions, TlsClientCredentials, TlsMaterial } from './tls/index.js';
export {
  dialCommand,
  dialSsh,
  dialExt,
  commandEnv,
  describeCommandExit,
  CommandStream,
  CommandTransportError,
  COMMON_ENV_PASS,
  SSH_ENV_PASS,
} from './command.js';
export type { CommandFailure, CommandExit, CommandDialOptions, SshDialOptions } from './command.js';
export { dialInProcessSsh } from './ssh/dial.js';
export type { SshConnectOptions, InProcessSshDialOptions } from './ssh/dial.js';
export { SshTransportError } from './ssh/errors.js';
export type { SshHostKeyInfo, SshAuthAttempt } from './ssh/errors.js';
export type { HostKeyVerifier, HostKeyQuestion } from './ssh/host-key.js';
export {
  parseKnownHosts,
  checkHostKey,
  knownHostName,
  hashHostName,
  formatKnownHostLine,
  fingerprintSha256,
} from './ssh/known-hosts.js';
export type { KnownHostLine, HostKeyCheck } from './ssh/known-hosts.js';
export { resolveSshConfig, parseProxyJump } from './ssh/ssh-config.js';
export type { SshHostConfig, SshConfigSources, SshCommandLine, JumpHost } from './ssh/ssh-config.js';
