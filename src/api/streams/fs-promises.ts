/**
 * `node:fs/promises`, loaded by the first file transfer: a CommonJS `require` of the package
 * then does not load it, nor the stream and readline modules Node loads with it (about 3 ms of
 * the import: `npm run bench:import`). An ES module import has them already (Node's loader reads
 * files with them).
 *
 * @module
 */
let loading: Promise<typeof import('node:fs/promises')> | null = null;

/** The `node:fs/promises` module (loaded once). */
export function fsPromises(): Promise<typeof import('node:fs/promises')> {
  loading ??= import('node:fs/promises');
  return loading;
}
