/**
 * SASL authentication over the remote protocol, as libvirt's remote driver does it
 * (src/remote/remote_driver.c, `remoteAuthSASL`):
 *
 * 1. `AUTH_SASL_INIT`: the daemon answers with its mechanisms (`SCRAM-SHA-256,PLAIN`: Cyrus SASL's
 *    list, comma-separated, filtered by what the daemon accepts on this transport);
 * 2. the mechanism: the URI's `auth=sasl.<MECH>` when given (libvirt fails with
 *    `SASL mechanism X not supported by server` when the daemon does not list it), else the best
 *    one implemented here that the daemon offers: SCRAM-SHA-256, SCRAM-SHA-1, then PLAIN;
 * 3. the credentials it needs: fixed ones, auth.conf, then the callback (see credentials.ts);
 * 4. `AUTH_SASL_START` with the mechanism and the client's first message, then `AUTH_SASL_STEP`
 *    until both sides are complete. The client always takes one more step after the daemon says
 *    `complete`, to check the daemon (SCRAM's server signature). `nil` tells "no data" apart from
 *    "empty data", which SASL distinguishes.
 *
 * Security: libvirt calls a transport secure when it is a UNIX socket, TLS or SSH (`is_secure`);
 * then any mechanism goes. Over plain TCP (and `ext`) libvirt asks SASL for a security layer of at
 * least 56 bits, which SCRAM and PLAIN do not give (the daemon itself offers only mechanisms with a
 * layer, such as DIGEST-MD5 or GSSAPI, there, and libvirt-rpc implements no security layer), so
 * no mechanism is usable there and authentication fails before any secret is sent.
 *
 * @module
 */
import { VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_USERNAME } from '../procedures/libvirt-api.gen.js';
import {
  REMOTE_AUTH_SASL_DATA_MAX,
  REMOTE_PROC_AUTH_SASL_INIT,
  REMOTE_PROC_AUTH_SASL_START,
  REMOTE_PROC_AUTH_SASL_STEP,
} from '../procedures/remote-procs.gen.js';
import type { RpcClient } from '../rpc/client.js';
import type { CallOptions } from '../rpc/procedure.js';
import type { RemoteTransport } from '../transport/remote-plan.js';
import { AuthConfig, authConfigPath, collectCredentials, credentialTypes, type CredentialRequest, type Credentials } from './credentials.js';
import { AuthenticationError, ScramError } from './errors.js';
// SCRAM (and node:crypto with it) is loaded when a SCRAM mechanism is chosen, not by every import.
import type { ScramClient, ScramMechanism } from './scram.js';

/** The SASL mechanisms libvirt-rpc implements, best first. */
export const SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;

/** One of {@link SASL_MECHANISMS}. */
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The transports libvirt's remote driver treats as secure (`priv->is_secure`): no SSF needed. */
const SECURE_TRANSPORTS: ReadonlySet<RemoteTransport> = new Set(['unix', 'tls', 'ssh', 'libssh', 'libssh2']);

/** Whether libvirt treats `transport` as secure (UNIX socket, TLS, SSH), so SASL needs no security layer. */
export function isSecureTransport(transport: RemoteTransport): boolean {
  return SECURE_TRANSPORTS.has(transport);
}

/** Splits the daemon's mechanism list (comma- or space-separated) into names. */
export function parseMechanismList(mechlist: string): string[] {
  return mechlist.split(/[\s,]+/).filter((m) => m !== '');
}

/**
 * Chooses the mechanism: `wanted` (from `auth=sasl.<mech>`, matched case-insensitively against
 * the daemon's list) or the best implemented one the daemon offers.
 *
 * @throws AuthenticationError (`no-mechanism`) naming the daemon's list.
 */
export function chooseMechanism(mechlist: string, opts: { wanted?: string | null; secure: boolean }): SaslMechanism {
  const offered = parseMechanismList(mechlist);
  const listed = offered.length ? offered.join(', ') : 'none';
  if (!opts.secure) {
    throw new AuthenticationError(
      'no-mechanism',
      `no SASL mechanism usable over an unencrypted transport: libvirt requires a SASL security layer there, ` +
        `which ${SASL_MECHANISMS.join(', ')} do not provide (the daemon offers: ${listed}); use a UNIX socket or TLS`,
    );
  }
  if (opts.wanted) {
    const wanted = opts.wanted.toUpperCase();
    if (!offered.some((m) => m.toUpperCase() === wanted)) {
      throw new AuthenticationError('no-mechanism', `SASL mechanism ${opts.wanted} not supported by server (it offers: ${listed})`);
    }
    const impl = SASL_MECHANISMS.find((m) => m === wanted);
    if (!impl) {
      throw new AuthenticationError(
        'no-mechanism',
        `SASL mechanism ${opts.wanted} is not implemented by libvirt-rpc (it implements: ${SASL_MECHANISMS.join(', ')})`,
      );
    }
    return impl;
  }
  const upper = new Set(offered.map((m) => m.toUpperCase()));
  const best = SASL_MECHANISMS.find((m) => upper.has(m));
  if (!best) {
    throw new AuthenticationError(
      'no-mechanism',
      `no SASL mechanism in common: the daemon offers ${listed}; libvirt-rpc implements ${SASL_MECHANISMS.join(', ')}`,
    );
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// `char data<>`: one XDR char per byte, signed as C's `char`

/** Bytes → the `char data<>` of the SASL procedures (−128..127). */
export function bytesToSaslData(bytes: Uint8Array): number[] {
  const out = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i]! << 24) >> 24;
  return out;
}

/** The `char data<>` of the SASL procedures → bytes (any sign accepted). */
export function saslDataToBytes(data: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! & 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mechanisms, client side

/** What a mechanism produced: data for the server (null = none, distinct from empty) and whether it is done. */
interface MechStep {
  readonly data: Uint8Array | null;
  readonly complete: boolean;
}

interface MechSession {
  start(): MechStep;
  step(serverData: Buffer | null): Promise<MechStep>;
}

class ScramSession implements MechSession {
  private stage = 0;
  constructor(private readonly scram: ScramClient) {}
  start(): MechStep {
    return { data: this.scram.start(), complete: false };
  }
  async step(serverData: Buffer | null): Promise<MechStep> {
    if (serverData === null) throw new ScramError('SCRAM_MALFORMED', 'the server sent no data where SCRAM needs a message');
    if (this.stage++ === 0) return { data: await this.scram.step(serverData), complete: false };
    this.scram.finish(serverData);
    return { data: null, complete: true };
  }
}

class PlainSession implements MechSession {
  constructor(private readonly message: Buffer) {}
  start(): MechStep {
    return { data: this.message, complete: true };
  }
  async step(): Promise<MechStep> {
    return { data: null, complete: true };
  }
}

/** Cyrus SASL's prompts, which libvirt passes on to the credentials callback. */
const PROMPTS: Record<number, string> = {
  [VIR_CRED_USERNAME]: 'Please enter your authorization name',
  [VIR_CRED_AUTHNAME]: 'Please enter your authentication name',
  [VIR_CRED_PASSPHRASE]: 'Please enter your password',
};

// ---------------------------------------------------------------------------------------------
// The exchange

/** Options of {@link authenticateSasl}. */
export interface SaslAuthOptions {
  /** The transport (decides whether a security layer would be needed). */
  readonly transport: RemoteTransport;
  /** The mechanism from `auth=sasl.<mech>`, or null. */
  readonly mechanism?: string | null;
  /** What the caller gave `connect()`. */
  readonly credentials?: Credentials;
  /** The host for auth.conf's `[auth-libvirt-HOST]` (the URI's host; null → `localhost`). */
  readonly hostname?: string | null;
  /** The URI's `authfile=`. */
  readonly authFile?: string | null;
  /** Environment for `LIBVIRT_AUTH_FILE` and `XDG_CONFIG_HOME` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Signal and timeout of each call. */
  readonly call?: CallOptions;
}

/** The outcome of a successful {@link authenticateSasl}. */
export interface SaslAuthResult {
  /** The mechanism used. */
  readonly mechanism: SaslMechanism;
  /** The name logged in as (the authentication identity). */
  readonly authname: string;
}

/** Upper bound on START/STEP round trips (SCRAM needs 2; a daemon asking for more is broken). */
const MAX_ROUND_TRIPS = 16;

function toArgs(step: MechStep): { nil: number; data: number[] } {
  if (step.data && step.data.length > REMOTE_AUTH_SASL_DATA_MAX) {
    throw new AuthenticationError('negotiation', `SASL negotiation data too long: ${step.data.length} bytes`);
  }
  return step.data === null ? { nil: 1, data: [] } : { nil: 0, data: bytesToSaslData(step.data) };
}

function fromRet(ret: { nil: number; data: number[] }): Buffer | null {
  return ret.nil ? null : saslDataToBytes(ret.data);
}

/**
 * Runs SASL authentication on a connection whose AUTH_LIST offered `REMOTE_AUTH_SASL`.
 * An error reply of the daemon (a wrong password: `VIR_ERR_AUTH_FAILED`, "authentication
 * failed") comes out as that LibvirtError; failures on this side are AuthenticationErrors
 * (the same code). The caller closes the connection on failure.
 */
export async function authenticateSasl(client: RpcClient, opts: SaslAuthOptions): Promise<SaslAuthResult> {
  const callOptions = opts.call ?? {};
  const { mechlist } = await client.call(REMOTE_PROC_AUTH_SASL_INIT, undefined, callOptions);
  const mechanism = chooseMechanism(mechlist, { wanted: opts.mechanism ?? null, secure: isSecureTransport(opts.transport) });

  // The credentials this mechanism asks for, in Cyrus's order (authorization name, authentication name, password).
  const credtypes = credentialTypes(opts.credentials);
  const types = [...(credtypes.includes(VIR_CRED_USERNAME) ? [VIR_CRED_USERNAME] : []), VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE];
  const requests: CredentialRequest[] = types.map((type) => ({ type, prompt: PROMPTS[type]!, challenge: null, defresult: null }));
  let config: AuthConfig | null | undefined;
  const answers = await collectCredentials(requests, {
    ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
    hostname: opts.hostname ?? null,
    mechanism,
    authConfig: () => {
      if (config === undefined) {
        const path = authConfigPath({ env: opts.env ?? process.env, uriAuthFile: opts.authFile ?? null });
        config = path === null ? null : AuthConfig.load(path);
      }
      return config;
    },
  });
  const answer = (type: number): string | undefined => answers[types.indexOf(type)];
  const authname = answer(VIR_CRED_AUTHNAME)!;
  const password = answer(VIR_CRED_PASSPHRASE)!;
  const authzid = answer(VIR_CRED_USERNAME) ?? '';

  const scram = mechanism === 'PLAIN' ? null : await import('./scram.js');
  let session: MechSession;
  try {
    session =
      scram === null
        ? new PlainSession(Buffer.from(`${authzid}\0${authname}\0${password}`, 'utf8'))
        : new ScramSession(
            new scram.ScramClient({
              mechanism: mechanism as ScramMechanism,
              username: authname,
              password,
              authzid: authzid || null,
              // libvirtd's Cyrus SASL hashes the password bytes as given (no SASLprep).
              passwordPreparation: 'none',
            }),
          );
  } catch (e) {
    throw new AuthenticationError('credentials', `${mechanism}: ${(e as Error).message}`, { cause: e });
  }

  try {
    let local = session.start();
    const sret = await client.call(REMOTE_PROC_AUTH_SASL_START, { mech: mechanism, ...toArgs(local) }, callOptions);
    let complete = sret.complete !== 0;
    let serverData = fromRet(sret);
    if (complete && local.complete) return { mechanism, authname };
    for (let round = 0; ; round++) {
      if (round >= MAX_ROUND_TRIPS) {
        throw new AuthenticationError('negotiation', `${mechanism}: the daemon did not complete after ${MAX_ROUND_TRIPS} steps`);
      }
      // Even when the daemon says complete, the client takes this step: it verifies the daemon.
      local = await session.step(serverData);
      if (complete && local.complete) return { mechanism, authname };
      if (complete) {
        throw new AuthenticationError('negotiation', `${mechanism}: the daemon declared success before the exchange was complete`);
      }
      const pret = await client.call(REMOTE_PROC_AUTH_SASL_STEP, toArgs(local), callOptions);
      complete = pret.complete !== 0;
      serverData = fromRet(pret);
    }
  } catch (e) {
    if (e instanceof ScramError) {
      throw new AuthenticationError('negotiation', `${mechanism}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
