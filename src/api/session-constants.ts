/**
 * The facts of opening a session that the root entry exports and `Connection` reads, apart from
 * the code that opens one (open-session.ts, which `connect` loads on its first call: importing
 * the package does not load the RPC engine, the transports nor authentication).
 *
 * @module
 */
/**
 * Driver features a client asks about with CONNECT_SUPPORTS_FEATURE. They are
 * libvirt-internal (src/libvirt_internal.h, `virDrvFeature`), so not in the API XML.
 */
export const DriverFeature = {
  /** The daemon speaks the keepalive program. */
  PROGRAM_KEEPALIVE: 10,
  /** The daemon filters events per callback id (the `*_CALLBACK_*` event procedures). */
  REMOTE_EVENT_CALLBACK: 14,
  /** The daemon supports the connection close callback. */
  REMOTE_CLOSE_CALLBACK: 15,
} as const;

/** How long closing waits for CONNECT_CLOSE's reply and for the socket's end. */
export const CLOSE_TIMEOUT_MS = 5_000;

/** Default bound of each step of opening a connection (see `ConnectOptions.openTimeout`). */
export const DEFAULT_OPEN_TIMEOUT_MS = 30_000;

/** What the daemon said about itself while the connection was opened. */
export interface ConnectionFeatures {
  /** The daemon supports keepalive (and PINGs are being sent when enabled). */
  readonly keepalive: boolean;
  /** The daemon supports per-callback event filtering. */
  readonly eventCallbacks: boolean;
  /** The daemon supports the close callback. */
  readonly closeCallback: boolean;
}
