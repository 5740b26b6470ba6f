/**
 * Opening one RPC session on a connected byte channel the way libvirt's remote driver does
 * (src/remote/remote_driver.c, doRemoteOpen, after the transport is up): authenticate
 * (AUTH_LIST, then the chosen method), ask whether the daemon speaks keepalive, CONNECT_OPEN
 * with the name the driver would send, learn the URI when the daemon chose the driver, and
 * probe the event and close-callback features. Shared by Node's `connect` (connect.ts) and the
 * browser build's (connect-web.ts), which differ in how they plan and dial.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import { VIR_CONNECT_RO } from '../procedures/libvirt-api.gen.js';
import { REMOTE_PROC_CONNECT_GET_URI, REMOTE_PROC_CONNECT_OPEN, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE } from '../procedures/remote-procs.gen.js';
import type { ByteChannel } from '../rpc/byte-channel.js';
import { RpcClient, type RpcClientOptions } from '../rpc/client.js';
import { diagnostics } from '../rpc/diagnostics.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../rpc/in-flight.js';
import type { KeepaliveOptions } from '../rpc/keepalive.js';
import type { CallOptions } from '../rpc/procedure.js';
import type { RemotePlan } from '../transport/remote-plan.js';
import { planSecrets } from '../transport/uri-secrets.js';
import type { ConnectionInfo } from './connection.js';
import { DEFAULT_OPEN_TIMEOUT_MS, DriverFeature } from './session-constants.js';

/** The options of opening that both builds share (see `ConnectOptions` for each). */
export interface SessionOptions extends CallOptions {
  readonly keepalive?: KeepaliveOptions | false;
  readonly onDiagnostic?: RpcClientOptions['onDiagnostic'];
  readonly maxInFlight?: number;
  readonly openTimeout?: number;
}

/** How one build opens a session: its plan, its dialer and its authentication. */
export interface SessionRecipe {
  readonly plan: RemotePlan;
  /** The URI without secrets, for messages and diagnostics. */
  readonly uriText: string;
  readonly readOnly: boolean;
  readonly options: SessionOptions;
  /** Whether dialing is bounded by `openTimeout` when no `timeout` is given (not for a dial that may wait for a person). */
  readonly boundedDial: boolean;
  /** Connects the byte channel the protocol runs over. */
  dial(bound: CallOptions): Promise<ByteChannel>;
  /** Authenticates on the fresh client (AUTH_LIST and the chosen method). */
  authenticate(client: RpcClient, callOptions: CallOptions): Promise<void>;
}

async function supports(client: RpcClient, feature: number, options: CallOptions): Promise<boolean> {
  try {
    return (await client.call(REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, { feature }, options)).supported !== 0;
  } catch (err) {
    // libvirt treats a failed feature query as "not supported" (remoteConnectSupportsFeatureUnlocked).
    if (!client.isOpen) throw err;
    return false;
  }
}

/** Dials, authenticates and opens: one RPC connection ready for calls. */
export async function openSession(recipe: SessionRecipe, signal: AbortSignal | undefined): Promise<{ client: RpcClient; info: ConnectionInfo }> {
  const { plan, uriText, readOnly, options } = recipe;
  const started = performance.now();
  const openTimeout = options.openTimeout ?? DEFAULT_OPEN_TIMEOUT_MS;
  if (!(openTimeout > 0)) throw new ArgumentError(`connect: openTimeout must be > 0 (got ${openTimeout})`);
  const stepTimeout = options.timeout ?? (Number.isFinite(openTimeout) ? openTimeout : undefined);
  // Dialing a command transport may wait for a person (a password, a host key question): unbounded unless asked.
  const dialTimeout = options.timeout ?? (recipe.boundedDial ? stepTimeout : undefined);
  const socket = await recipe.dial({ signal, timeout: dialTimeout });
  const client = new RpcClient(socket, {
    onDiagnostic: options.onDiagnostic,
    uri: uriText,
    maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
  });
  const callOptions: CallOptions = { signal, timeout: stepTimeout };
  try {
    await recipe.authenticate(client, callOptions);
    const keepalive = await supports(client, DriverFeature.PROGRAM_KEEPALIVE, callOptions);
    // Asking makes the daemon start its keepalive for us (remoteDispatchConnectSupportsFeature):
    // the client must then keep it content while a slow stream reader pauses reading.
    client.setPeerSpeaksKeepalive(keepalive);
    await client.call(
      REMOTE_PROC_CONNECT_OPEN,
      { name: planSecrets(plan)?.connectName ?? plan.connectName, flags: readOnly ? VIR_CONNECT_RO : 0 },
      callOptions,
    );
    let finalUri = uriText;
    if (plan.askUriAfterOpen) {
      finalUri = (await client.call(REMOTE_PROC_CONNECT_GET_URI, undefined, callOptions)).uri;
    }
    const eventCallbacks = await supports(client, DriverFeature.REMOTE_EVENT_CALLBACK, callOptions);
    const closeCallback = await supports(client, DriverFeature.REMOTE_CLOSE_CALLBACK, callOptions);
    if (keepalive && options.keepalive !== false) client.startKeepalive(options.keepalive ?? {});
    if (diagnostics.connectionOpen.hasSubscribers) {
      diagnostics.connectionOpen.publish({ connectionId: client.connectionId, uri: uriText, transport: plan.transport, duration: performance.now() - started });
    }
    return {
      client,
      info: { uri: finalUri, readOnly, plan, features: { keepalive, eventCallbacks, closeCallback } },
    };
  } catch (err) {
    client.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}
