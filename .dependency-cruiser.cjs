/**
 * The layer order of src/ (docs/CONVENTIONS.md), checked by `npm run lint`:
 *   errors ← util ← xdr ← procedures ← rpc ← transport, auth ← api ← bridge ← cli
 * A module imports only from its own layer or the layers below it.
 * Type-only imports count too (they are part of the design), except for cycles: a cycle made of
 * type-only edges vanishes at run time (the generated object bases name the hand-written classes
 * they return only as types).
 */
const LAYERS = ['errors', 'util', 'xdr', 'procedures', 'rpc', 'transport|auth', 'api', 'bridge', 'cli'];
const above = (i) => LAYERS.slice(i + 1).join('|');

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer.replace('|', '-')}`,
      comment: `src/${layer} may not import a layer above it (${above(i)})`,
      severity: 'error',
      from: { path: `^src/(${layer})/` },
      to: { path: `^src/(${above(i)})/` },
    })),
    {
      name: 'cli-support-below-commands',
      comment: 'the CLI vocabulary (src/cli/support) serves the commands and the shell; it imports neither',
      severity: 'error',
      from: { path: '^src/cli/support/' },
      to: { path: '^src/cli/(commands|shell)/' },
    },
    {
      name: 'cli-commands-below-shell',
      comment: 'command modules hold commands; the shell (src/cli/shell) runs them, not the other way round',
      severity: 'error',
      from: { path: '^src/cli/commands/' },
      to: { path: '^src/cli/shell/' },
    },
    {
      name: 'no-runtime-cycles',
      comment: 'no import cycles at run time',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'generated-stays-in-its-layer',
      comment: 'generated wire code never imports hand-written code above the runtime it needs',
      severity: 'error',
      from: { path: '^src/procedures/.*\\.gen\\.ts$' },
      to: { path: '^src/(transport|auth|api|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
