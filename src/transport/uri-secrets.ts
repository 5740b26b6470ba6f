/**
 * Secrets inside libvirt URIs: a password in the user part
 * (`qemu+ssh://alice:secret@host/system`) and parameters whose name says
 * they hold one (`password=`, `passphrase=`, `secret=`, `token=`, ...).
 *
 * Such a URI is only ever shown redacted (`alice:***@`, `password=***`):
 * in errors and their `.uri`, warnings, `conn.uri`, `conn.plan` and debug
 * output. The real values stay with the plan they belong to, out of sight
 * (a WeakMap keyed by the plan object), for the two places that need them:
 * the in-process SSH client's password method, and the name sent to the
 * daemon in CONNECT_OPEN (which carries the passthrough parameters).
 */
import type { UriParam } from './uri.js';

/** What a secret is replaced with. */
export const REDACTED = '***';

/** Parameter names treated as secrets (case-insensitive, anywhere in the name). */
const SECRET_PARAM = /passw(?:or)?d|passphrase|secret|token|credential/i;

/** Whether a query parameter of this name holds a secret (`password`, `passphrase`, `secret`, `token`, `credential`, ... anywhere in the name). */
export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name);
}

/** Splits a URI user part `name:password` at the first `:`. */
export function splitUserInfo(user: string | null): { user: string | null; password: string | null } {
  if (user === null) return { user: null, password: null };
  const colon = user.indexOf(':');
  if (colon < 0) return { user, password: null };
  return { user: user.slice(0, colon), password: user.slice(colon + 1) };
}

/** The user part as shown: `name:***` when it carries a password. */
export function redactUserInfo(user: string | null): string | null {
  const { user: name, password } = splitUserInfo(user);
  return password === null ? name : `${name ?? ''}:${REDACTED}`;
}

/** The parameters with the values of secret ones replaced by `***`. */
export function redactParams(params: readonly UriParam[]): UriParam[] {
  return params.map((p) => (isSecretParam(p.name) && p.value !== '' ? { name: p.name, value: REDACTED } : p));
}

/** Whether any parameter is a secret with a value. */
export function hasSecretParams(params: readonly UriParam[]): boolean {
  return params.some((p) => isSecretParam(p.name) && p.value !== '');
}

/**
 * Redacts a URI given as text, well-formed or not (it is used on the text of
 * URIs that failed to parse): the password of the user part and the values
 * of secret parameters become `***`; everything else is kept as written.
 */
export function redactUriText(text: string): string {
  if (typeof text !== 'string' || text === '') return text;
  let out = text;
  // Authority: scheme://userinfo@host... The user part ends at the last '@'
  // before the first '/', '?' or '#' after "//".
  const authStart = out.indexOf('//');
  const schemeEnd = out.indexOf(':');
  if (authStart >= 0 && schemeEnd >= 0 && authStart === schemeEnd + 1) {
    const rest = out.slice(authStart + 2);
    const stop = rest.search(/[/?#]/);
    const authority = stop < 0 ? rest : rest.slice(0, stop);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(':');
      if (colon >= 0) {
        const redacted = `${userinfo.slice(0, colon)}:${REDACTED}${authority.slice(at)}`;
        out = out.slice(0, authStart + 2) + redacted + (stop < 0 ? '' : rest.slice(stop));
      }
    }
  }
  // Query: name=value pairs separated by & or ;, up to '#'.
  const q = out.indexOf('?');
  if (q >= 0) {
    const hash = out.indexOf('#', q);
    const query = hash < 0 ? out.slice(q + 1) : out.slice(q + 1, hash);
    const redactedQuery = query.replace(/(^|[&;])([^=&;]*)=([^&;]*)/g, (whole, sep: string, name: string, value: string) => {
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        /* keep as written */
      }
      return isSecretParam(decoded) && value !== '' ? `${sep}${name}=${REDACTED}` : whole;
    });
    out = out.slice(0, q + 1) + redactedQuery + (hash < 0 ? '' : out.slice(hash));
  }
  return out;
}

/** The secrets a plan keeps out of its visible fields. */
export interface PlanSecrets {
  /** The password of the URI's user part, or null. */
  readonly password: string | null;
  /** The CONNECT_OPEN name with secret parameters unredacted. */
  readonly connectName: string;
}

const secrets = new WeakMap<object, PlanSecrets>();

/** Keeps `value` for `plan` (internal: set by the planner). */
export function attachPlanSecrets(plan: object, value: PlanSecrets): void {
  secrets.set(plan, value);
}

/** The secrets kept for `plan`, or null (a plan not made by the planner, or a copy of one). */
export function planSecrets(plan: object): PlanSecrets | null {
  return secrets.get(plan) ?? null;
}
