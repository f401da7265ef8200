/**
 * The layering rule of cabled, checked in CI by `npm run layers` (dependency-cruiser, parsing the
 * TypeScript sources with swc, type-only imports included):
 *
 *   engine (src/engine, src/cli, ...) -> protocol (src/generated) <- drivers -> sdk/overlay -> lib
 *
 * The whack/addconn rule is textual (it names binaries, not modules): scripts/check-layers.sh.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-stays-at-the-bottom',
      severity: 'error',
      comment: 'src/lib is the bottom layer: it may import only src/lib, src/generated, Node and npm packages.',
      from: { path: '^src/lib/' },
      to: {
        pathNot: ['^src/lib/', '^src/generated/'],
        dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'drivers-never-reach-the-engine',
      severity: 'error',
      comment: 'A driver is its own process; it knows the engine only through the protocol.',
      from: { path: '^drivers/' },
      to: { path: '^src/engine/' },
    },
    {
      name: 'engine-never-reaches-a-driver',
      severity: 'error',
      comment: 'The engine reaches drivers only through the gRPC protocol, so a driver can be written in any language.',
      from: { path: '^src/engine/' },
      to: { path: '^drivers/' },
    },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      comment: 'src/, drivers/, bench/ and lab/ must not depend on test/: shared scaffolding lives in lab/.',
      from: { path: '^(src|drivers|bench|lab)/' },
      to: { path: '^test/' },
    },
    {
      name: 'only-the-netlink-adapter-imports-netlink',
      severity: 'error',
      comment: 'All netlink goes through src/lib/netlink.',
      from: { pathNot: '^src/lib/netlink/' },
      to: { path: 'node_modules/netlink/' },
    },
    {
      name: 'only-the-exec-module-imports-execa',
      severity: 'error',
      comment: 'All processes start through src/lib/exec (argument arrays, timeouts).',
      from: { pathNot: '^src/lib/exec' },
      to: { path: 'node_modules/execa/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a broken build waiting to happen.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|src/generated/.*\\.d\\.ts)' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
