/**
 * The way virsh writes values: UUIDs, sizes, domain states and their reasons
 * (tools/virsh-domain-monitor.c, tools/vsh.c vshPrettyCapacity).
 */

/** `6695eb01-f6a4-8304-79aa-97f2502e193f` from 16 bytes. */
export function formatUuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** 16 bytes from a UUID string with or without dashes, or null when it is not one. */
export function parseUuid(text: string): Uint8Array | null {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || !/^[0-9a-fA-F-]+$/.test(text)) return null;
  return Buffer.from(hex, 'hex');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** `100.00 GiB`, as vshPrettyCapacity and `%.2lf %s` print a byte count. */
export function prettyCapacity(bytes: bigint | number): string {
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${UNITS[u]}`;
}

const STATES = ['no state', 'running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];

/** virsh's name of a `virDomainState`. */
export function domainStateName(state: number): string {
  return STATES[state] ?? 'no state';
}

const REASONS: readonly (readonly string[])[] = [
  ['unknown'],
  ['unknown', 'booted', 'migrated', 'restored', 'from snapshot', 'unpaused', 'migration canceled', 'save canceled',
    'event wakeup', 'crashed', 'post-copy', 'post-copy failed'],
  ['unknown'],
  ['unknown', 'user', 'migrating', 'saving', 'dumping', 'I/O error', 'watchdog', 'from snapshot', 'shutting down',
    'creating snapshot', 'crashed', 'starting up', 'post-copy', 'post-copy failed', 'api error'],
  ['unknown', 'user'],
  ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot', 'daemon'],
  ['unknown', 'panicked'],
  ['unknown'],
];

/** virsh's name of the reason for a state. */
export function domainStateReasonName(state: number, reason: number): string {
  return REASONS[state]?.[reason] ?? 'unknown';
}

/** A C `char[]` that travelled as 4-byte chars, up to its NUL, as text. */
export function cString(chars: readonly number[]): string {
  const end = chars.indexOf(0);
  return Buffer.from((end < 0 ? chars : chars.slice(0, end)).map((c) => c & 0xff)).toString('utf8');
}
