#!/usr/bin/env node
/**
 * Bundles each program (the engine, cablectl, each cable driver) after tsc
 * (`npm run build` runs both): every entry in dist/ that package.json's bin,
 * the chart, the systemd unit, the image and the tests start is replaced by
 * one ESM file with what it imports statically, and what it imports
 * dynamically (loaded on demand) goes into shared chunks in dist/src/chunks/.
 * Loading a few files instead of ~600 small ones is what makes a process
 * start fast, most of all under the e2e guest's emulated CPU (issue 9).
 * tsc's output stays as it is for everything else (the tests import it).
 *
 * Left outside the bundles, loaded from node_modules at run time: the
 * Kubernetes client (large, loaded only when used), what grpc-js loads only
 * for channelz/ORCA (proto-loader, protobufjs), and netlink's native binding
 * (the netlink package's JavaScript is bundled; the one line that finds the
 * .node file relative to its own directory is pointed at node_modules/netlink).
 * dist/src/chunks/ sits as deep as dist/src/engine/, so module-relative
 * paths (package.json, the drivers' entries) resolve as in tsc's output.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
/** The programs, as tsc wrote them. */
const ENTRIES = ['src/engine/main.js', 'src/cli/main.js', 'drivers/vxlan/main.js', 'drivers/libreswan/main.js'];
const CHUNKS = 'src/chunks';

/** netlink's raw.js loads its binding from `__dirname + '/..'`: in a bundle that is the package's own folder. */
const NETLINK_BINDING = "require('node-gyp-build')(__dirname + '/..')";
const netlinkBinding = {
  name: 'netlink-binding',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]netlink[\\/]dist[\\/]raw\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(NETLINK_BINDING))
        throw new Error(`${args.path}: the binding line changed; update scripts/bundle.mjs`);
      const contents = text.replace(
        NETLINK_BINDING,
        "require('node-gyp-build')(require('node:path').dirname(require.resolve('netlink/package.json')))",
      );
      return { contents, loader: 'js' };
    });
  },
};

/**
 * netlink's index.js loads every family it supports; cabled uses rtnetlink, XFRM (raw netlink) and the
 * attribute codec, never generic netlink, nl80211 or WireGuard. Their struct tables (nl80211's alone is
 * 240 kB of code run at load) cost each process that loads netlink (the engine and every driver) ~5 MB
 * of RSS, so the bundles get an index without them (issue 15, P4). tsc's output and the tests still load
 * the whole package.
 */
const NETLINK_UNUSED = [
  './genl/genl',
  './nl80211/nl80211',
  './wg/wg',
  './genl/structs',
  './nl80211/structs',
  './wg/structs',
];
const netlinkSlimIndex = {
  name: 'netlink-slim-index',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]netlink[\\/]dist[\\/]index\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      for (const mod of NETLINK_UNUSED) {
        const lines = text.split('\n').filter((l) => l.includes(`require("${mod}")`));
        if (lines.length !== 1) throw new Error(`${args.path}: no single require of ${mod}; update scripts/bundle.mjs`);
        const line = lines[0];
        // `__exportStar(require(...), exports);` goes; `const x = __importStar(require(...));` becomes an empty namespace.
        text = text.replace(
          line,
          line.startsWith('__exportStar') ? '' : line.replace(/__importStar\(require\([^)]*\)\)/, '{}'),
        );
      }
      return { contents: text, loader: 'js' };
    });
  },
};

const BANNER =
  "import { createRequire as __cabledCreateRequire } from 'node:module'; const require = __cabledCreateRequire(import.meta.url);";

// The entries must be tsc's output: bundling a bundle again would pull in the chunks this run replaces.
for (const e of ENTRIES) {
  if (readFileSync(join(dist, e), 'utf8').includes(BANNER)) {
    process.stderr.write(`bundle: dist/${e} is already bundled; run tsc first (npm run build does both)\n`);
    process.exit(1);
  }
}

const started = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: ENTRIES.map((e) => join(dist, e)),
  outbase: dist,
  outdir: dist,
  entryNames: '[dir]/[name]',
  chunkNames: `${CHUNKS}/[name]-[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@kubernetes/client-node', '@grpc/proto-loader'],
  plugins: [netlinkBinding, netlinkSlimIndex],
  // CommonJS packages inside an ESM bundle call require() for Node's built-ins.
  banner: { js: BANNER },
  sourcemap: 'linked',
  write: false,
  logLevel: 'warning',
});
rmSync(join(dist, CHUNKS), { recursive: true, force: true });
let bytes = 0;
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.contents);
  if (file.path.endsWith('.js')) bytes += file.contents.length;
}
const files = result.outputFiles.filter((f) => f.path.endsWith('.js'));
process.stdout.write(
  `bundled ${ENTRIES.length} programs into ${files.length} files (${(bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s: ${files
    .filter((f) => !relative(dist, f.path).startsWith(CHUNKS))
    .map((f) => relative(dist, f.path))
    .join(', ')}\n`,
);
