/**
 * The plan of a connection made through a WebSocket bridge from a page (the browser build's
 * `connect`): no libvirt.conf, no environment, no socket discovery. The bridge decides which
 * daemon answers and how it is reached; the URI still gives what the client itself sends: the
 * name in CONNECT_OPEN (`driver://path?passthrough`, as planRemoteConnection computes it),
 * `auth=`, and the transport libvirt would use for it (which says, as in Node, whether the
 * connection counts as secure). Node's `connect(uri, { webSocket })` plans with
 * planRemoteConnection (remote-plan.ts) instead, which reads the files a page does not have.
 *
 * @module
 */
import { UriError } from './errors.js';
import type { RemotePlan, RemoteTransport } from './remote-plan.js';
import { NO_OPTIONS, readOptions } from './remote-options.js';
import { asciiLower, formatUri, parseUri } from './uri.js';
import { attachPlanSecrets, redactParams, redactUriText, redactUserInfo, splitUserInfo } from './uri-secrets.js';

const TRANSPORTS: readonly RemoteTransport[] = ['tls', 'unix', 'ssh', 'libssh2', 'ext', 'tcp', 'libssh'];
const PORTS: Readonly<Partial<Record<RemoteTransport, number>>> = { tls: 16514, tcp: 16509, ssh: 22, libssh: 22, libssh2: 22 };

/**
 * Plans `uri` (null: the daemon picks the driver and the client asks it for the URI after
 * opening) for a connection through a bridge.
 *
 * @throws UriError for a malformed URI or an unknown `+transport`.
 */
export function planWebConnection(uri: string | null, readOnly: boolean): RemotePlan {
  const parsed = uri === null ? null : parseUri(uri);
  const text = uri ?? '';
  let transport: RemoteTransport = parsed?.host != null ? 'tls' : 'unix';
  if (parsed?.transport != null) {
    const t = TRANSPORTS.find((x) => x === asciiLower(parsed.transport as string));
    if (t === undefined) {
      throw new UriError(`unknown transport ${JSON.stringify(parsed.transport)} (expected one of ${TRANSPORTS.join(', ')})`, { uri: text, part: 'transport' });
    }
    transport = t;
  }
  const { options, passthrough } = parsed === null ? { options: NO_OPTIONS, passthrough: [] } : readOptions(parsed, text);
  // The name sent in CONNECT_OPEN, as remote-plan.ts's connectNames: `name=`, else '' for the
  // remote driver (the daemon picks), else the URI without transport, user, host and port.
  let realName = '';
  if (options.name !== null) realName = options.name;
  else if (parsed !== null && parsed.scheme !== 'remote' && !parsed.scheme.startsWith('remote+')) {
    realName = formatUri({ scheme: parsed.driver, path: parsed.path ?? '', fragment: parsed.fragment, params: [...passthrough] });
  }
  const { user, password } = splitUserInfo(parsed?.user ?? null);
  const port = parsed?.port ?? PORTS[transport] ?? null;
  const plan: RemotePlan = {
    uri: parsed === null ? null : { ...parsed, user: redactUserInfo(parsed.user), params: redactParams(parsed.params), query: null },
    driver: parsed?.driver ?? null,
    transport,
    host: parsed?.host ?? 'localhost',
    port,
    portExplicit: parsed?.port != null,
    user,
    options,
    passthroughParams: redactParams(passthrough),
    connectName: redactUriText(realName),
    askUriAfterOpen: realName === '',
    readOnly,
    session: false,
    autostart: false,
    mode: 'auto',
    socketMode: null,
    proxy: 'auto',
    socketPath: null,
    daemonName: null,
    secure: transport !== 'tcp' && transport !== 'ext',
    tls: null,
    ssh: null,
    ext: null,
  };
  attachPlanSecrets(plan, { password, connectName: realName });
  return plan;
}
