/**
 * How Node's builds open a session: resolve the URI (aliases, `uri_default`), plan the
 * transport, dial it (or the caller's own stream, or a WebSocket bridge) and authenticate, for
 * {@link openSession}. Shared by the root entry's `connect` (which wraps the session in the
 * object API's `Connection`) and `libvirt-rpc/calls`'s `open` (which does not), so neither
 * imports what only the other needs.
 *
 * @module
 */
import { authenticateSasl } from '../auth/sasl.js';
import { ArgumentError } from '../errors/root.js';
import type { CallOptions } from '../rpc/procedure.js';
import type { Duplex } from 'node:stream';
import { resolveConnectUri } from '../transport/config.js';
import { dialPlan } from '../transport/dial.js';
import { dialWebSocket } from '../transport/websocket.js';
import { planRemoteConnection, type RemotePlan } from '../transport/remote-plan.js';
import { redactUriText } from '../transport/uri-secrets.js';
import { diagnostics } from '../rpc/diagnostics.js';
import { authenticate } from './authenticate.js';
import type { ConnectOptions } from './connect.js';
import { enableDebugLog } from './debug-log.js';
import type { SessionRecipe } from './open-session.js';

/** The options a session is opened with: `connect`'s, less what only a `Connection` does. */
export type SessionConnectOptions = Omit<ConnectOptions, 'reconnect'>;

/** The recipe of a session to `uri` (see {@link SessionRecipe}); a malformed URI throws here, before any I/O. */
export function sessionRecipe(uri: string | null | undefined, options: SessionConnectOptions): SessionRecipe {
  const env = options.env ?? process.env;
  if (env.LIBVIRT_DEBUG) enableDebugLog(env.LIBVIRT_DEBUG);
  const resolved = resolveConnectUri(uri ?? null, { env });
  const readOnly = options.readonly ?? false;
  const plan = planRemoteConnection(resolved.uri, {
    env,
    readOnly,
    conf: resolved.conf,
    ...(options.ssh?.client !== undefined ? { sshClient: options.ssh.client } : {}),
    sshPrivateKey: options.ssh?.privateKey !== undefined,
  });
  const uriText = redactUriText(resolved.uri ?? '');
  if (diagnostics.connectionPlan.hasSubscribers) diagnostics.connectionPlan.publish({ uri: uriText, plan }); // the plan holds no secret (uri-secrets.ts)
  const onWarning = options.onWarning ?? ((message: string) => process.emitWarning(message, 'LibvirtRpcWarning'));
  // Dialing a command transport may wait for a person (a password, a host key question): unbounded unless asked.
  const boundedDial = options.webSocket !== undefined || plan.transport === 'unix' || plan.transport === 'tcp' || plan.transport === 'tls';
  return {
    plan,
    uriText,
    readOnly,
    options,
    boundedDial,
    dial: (bound) => openStream(plan, options, { env, onWarning, signal: bound.signal, timeout: bound.timeout }),
    authenticate: (client, callOptions) => authenticate(client, plan, uriText, callOptions, { credentials: options.credentials, env, sasl: authenticateSasl }),
  };
}

/** The caller's own stream (`options.stream`), or the transport of the plan. */
async function openStream(
  plan: RemotePlan,
  options: SessionConnectOptions,
  extra: {
    env: Readonly<Record<string, string | undefined>>;
    onWarning: (message: string) => void;
    signal: AbortSignal | undefined;
    timeout: number | undefined;
  },
): Promise<Duplex> {
  const callOptions: CallOptions = { signal: extra.signal, timeout: extra.timeout };
  if (options.stream !== undefined) {
    const stream = typeof options.stream === 'function' ? await options.stream(plan, callOptions) : options.stream;
    if (stream === null || typeof stream !== 'object' || typeof (stream as Duplex).write !== 'function' || typeof (stream as Duplex).on !== 'function') {
      throw new ArgumentError('connect: the stream option must be a Duplex, or a function returning one');
    }
    return stream;
  }
  if (options.webSocket !== undefined) {
    return dialWebSocket(options.webSocket, { ...callOptions, token: options.token, ca: options.tls?.ca });
  }
  return dialPlan(plan, {
    ...callOptions,
    env: extra.env,
    onWarning: extra.onWarning,
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.ssh !== undefined ? { ssh: options.ssh } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...(options.onDebug !== undefined ? { onDebug: options.onDebug } : {}),
  });
}
