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
