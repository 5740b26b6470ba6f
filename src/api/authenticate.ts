/**
 * Authentication after the transport is up, as libvirt's remote driver does it
 * (src/remote/remote_driver.c, remoteAuthenticate): AUTH_LIST, then the method
 * the URI's `auth=` asks for, or the first the daemon offers.
 */
import type { SaslAuthOptions } from '../auth/sasl.js';
import type { Credentials } from '../auth/credentials.js';
import { REMOTE_PROC_AUTH_LIST, REMOTE_PROC_AUTH_POLKIT, RemoteAuthType } from '../procedures/remote-procs.gen.js';
import type { RpcClient } from '../rpc/client.js';
import { diagnostics } from '../rpc/diagnostics.js';
import { UnsupportedError } from '../rpc/errors.js';
import type { CallOptions } from '../rpc/procedure.js';
import type { RemotePlan } from '../transport/remote-plan.js';

/** What {@link authenticate} needs besides the plan: the caller's credentials and environment. */
export interface AuthenticateOptions {
  /** Credentials for SASL (see src/auth/credentials.ts). */
  readonly credentials?: Credentials;
  /** Environment for `LIBVIRT_AUTH_FILE` / `XDG_CONFIG_HOME` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The SASL exchange (src/auth/sasl.ts's `authenticateSasl` in Node), or null where there is
   * none (the browser build: a daemon that asks for SASL is refused with an UnsupportedError).
   */
  readonly sasl: ((client: RpcClient, options: SaslAuthOptions) => Promise<unknown>) | null;
}

/** Authenticates as remoteAuthenticate does: AUTH_LIST, then the method asked for or the first offered. */
export async function authenticate(client: RpcClient, plan: RemotePlan, uriText: string, options: CallOptions, auth: AuthenticateOptions): Promise<void> {
  const publish = (step: 'offered' | 'chosen' | 'done' | 'failed', methods: readonly string[], error?: Error): void => {
    if (!diagnostics.auth.hasSubscribers) return;
    diagnostics.auth.publish({ connectionId: client.connectionId, uri: client.uri, step, methods, ...(error ? { error } : {}) });
  };
  const { types } = await client.call(REMOTE_PROC_AUTH_LIST, undefined, options);
  const names: Record<number, string> = {
    [RemoteAuthType.REMOTE_AUTH_NONE]: 'none',
    [RemoteAuthType.REMOTE_AUTH_SASL]: 'sasl',
    [RemoteAuthType.REMOTE_AUTH_POLKIT]: 'polkit',
  };
  publish(
    'offered',
    types.map((t) => names[t] ?? String(t)),
  );
  if (types.length === 0) return;
  try {
    await authenticateWith(client, plan, uriText, options, auth, types, names, (m) => publish('chosen', [m]));
    publish('done', []);
  } catch (err) {
    publish('failed', [], err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

async function authenticateWith(
  client: RpcClient,
  plan: RemotePlan,
  uriText: string,
  options: CallOptions,
  auth: AuthenticateOptions,
  types: readonly number[],
  names: Record<number, string>,
  chose: (method: string) => void,
): Promise<void> {
  const wanted = plan.options.auth;
  let chosen: number = types[0];
  if (wanted) {
    const match = types.find((t) => names[t] === wanted.toLowerCase() || (wanted.toLowerCase().startsWith('sasl.') && t === RemoteAuthType.REMOTE_AUTH_SASL));
    if (match === undefined) {
      throw new UnsupportedError(
        `authentication "${wanted}" requested by URI "${uriText}" is not offered by the daemon (it offers: ${types.map((t) => names[t] ?? t).join(', ')})`,
      );
    }
    chosen = match;
  }
  chose(names[chosen] ?? String(chosen));
  switch (chosen) {
    case RemoteAuthType.REMOTE_AUTH_NONE:
      return;
    case RemoteAuthType.REMOTE_AUTH_POLKIT: {
      await client.call(REMOTE_PROC_AUTH_POLKIT, undefined, options);
      return;
    }
    case RemoteAuthType.REMOTE_AUTH_SASL: {
      // `auth=sasl.<mech>` names the mechanism (remoteAuthenticate: STRCASEEQLEN(authtype, "sasl.", 5)).
      const mechanism = wanted?.toLowerCase().startsWith('sasl.') ? wanted.slice(5) : null;
      if (!auth.sasl) {
        throw new UnsupportedError(
          `the daemon at "${uriText}" asks for SASL authentication, which this build does not do (the browser build has no SASL: give the bridge a daemon URI whose auth is none or polkit)`,
        );
      }
      await auth.sasl(client, {
        transport: plan.transport,
        mechanism,
        ...(auth.credentials !== undefined ? { credentials: auth.credentials } : {}),
        hostname: plan.host,
        authFile: plan.options.authfile,
        ...(auth.env !== undefined ? { env: auth.env } : {}),
        call: options,
      });
      return;
    }
    default:
      throw new UnsupportedError(`the daemon at "${uriText}" offers an unknown authentication type ${chosen}`);
  }
}
