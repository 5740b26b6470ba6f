/**
 * The URL check both WebSocket dialers make first: Node's (websocket.ts, on the `ws` package)
 * and the web platform's (web-socket-channel.ts, the browser build's).
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';

/** `url` parsed; an ArgumentError naming the problem unless it is a `ws:` or `wss:` URL. */
export function parseWebSocketUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ArgumentError(`connect: webSocket must be a ws: or wss: URL (got ${JSON.stringify(String(url))})`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ArgumentError(`connect: webSocket must be a ws: or wss: URL (got scheme ${parsed.protocol})`);
  }
  return parsed;
}
