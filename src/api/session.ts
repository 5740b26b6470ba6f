/**
 * What `connect` loads on its first call (one chunk in the built package): how Node's build
 * resolves, dials and authenticates a session (session-recipe.ts) and opens it (open-session.ts),
 * with the RPC engine and the transports they import. `libvirt-rpc/calls` imports both directly.
 *
 * @module
 */
export { sessionRecipe } from './session-recipe.js';
export { openSession } from './open-session.js';
