// Builds the native addon from source, offline, against the headers of the running Node (never downloads them).
// Quiet: node-gyp's output is shown only when the build fails (OSMO_IO_VERBOSE_BUILD=1 shows it always).
// Skips the build when nothing changed since the last one: same sources (content hash), same Node headers,
// same build type, and the addon is there. `--force` rebuilds anyway.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { sources, nativeDir } = require('./native-dir.cjs');

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const debug = !!process.env.OSMO_IO_DEBUG_BUILD;
const verbose = process.env.OSMO_IO_VERBOSE_BUILD === '1';
const force = process.argv.includes('--force');
const addon = path.join(pkg, 'build', debug ? 'Debug' : 'Release', 'osmo_io.node');
const stampFile = path.join(pkg, '.addon-stamp.json'); // outside build/: node-gyp rebuild wipes build/

function fail(msg) {
  console.error(`@osmo/io: ${msg}`);
  process.exit(1);
}

/** The running Node's own headers: <prefix>/include/node/node_api.h next to the node binary. */
function findNodedir() {
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), process.config?.variables?.node_prefix]
    .filter((d) => typeof d === 'string' && d !== '');
  for (const d of candidates) if (existsSync(path.join(d, 'include', 'node', 'node_api.h'))) return d;
  return fail(`the headers of this Node (${process.version}) are not installed: looked for include/node/node_api.h under ` +
    `${candidates.join(', ')}. Install the Node development headers (e.g. the official Node tarball, or your ` +
    `distribution's nodejs-dev / libnode-dev package); @osmo/io never downloads them.`);
}

/** node-gyp: the one npm runs us with, our dependency, or the copy bundled with npm. */
function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch { /* not installed next to us */ }
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return bundled;
  return fail('node-gyp not found (neither npm_config_node_gyp, a node-gyp package, nor the copy bundled with npm)');
}

/** Hash of everything that goes into the addon: the gyp file, every source and header, and the headers used. */
function inputsHash(nodedir) {
  const h = createHash('sha256');
  const nd = nativeDir();
  const headers = (d) => {
    const dir = path.join(pkg, d);
    return existsSync(dir) ? readdirSync(dir).filter((f) => /\.hh?$/.test(f)).sort().map((f) => `${d}/${f}`) : [];
  };
  const files = ['binding.gyp', ...sources(), ...headers(`${nd}/src`), ...headers(`${nd}/include`), ...headers('src/addon')];
  // node-addon-api is header-only: its version is part of the build
  h.update(`node-addon-api ${require('node-addon-api/package.json').version}\0`);
  for (const f of files) h.update(`${f}\0`).update(readFileSync(path.join(pkg, f))).update('\0');
  h.update(`${nodedir}\0${readFileSync(path.join(nodedir, 'include', 'node', 'node_version.h'))}\0${debug}`);
  return h.digest('hex');
}

const nodedir = findNodedir();
const hash = inputsHash(nodedir);
let stamp = null;
try { stamp = JSON.parse(readFileSync(stampFile, 'utf8')); } catch { /* first build */ }
if (!force && stamp?.hash === hash && existsSync(addon)) process.exit(0);

// configure again only when the gyp file, its source list (a new .c file), the headers or the build type changed;
// else an incremental make
const gypKey = createHash('sha256').update(readFileSync(path.join(pkg, 'binding.gyp'))).update(sources().join('\0'))
  .digest('hex');
const configured = existsSync(path.join(pkg, 'build', 'Makefile')) && stamp?.configure === `${nodedir}|${debug}`
  && stamp?.gyp === gypKey;
const args = [findNodeGyp(), configured && !force ? 'build' : 'rebuild', `--nodedir=${nodedir}`, '--jobs=max'];
if (debug) args.push('--debug');
const t0 = Date.now();
const r = spawnSync(process.execPath, args, {
  cwd: pkg, stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (r.status !== 0) {
  if (!verbose) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  const cc = process.env.CC ?? 'cc';
  fail(`building the native addon failed (${r.error?.message ?? `node-gyp exit ${r.status}`}); output above. ` +
    `It needs a C and C++ compiler (${cc}, ${process.env.CXX ?? 'c++'}), make and python3.`);
}
writeFileSync(stampFile, JSON.stringify({
  hash, configure: `${nodedir}|${debug}`,
  gyp: gypKey,
}) + '\n');
console.log(`@osmo/io: native addon built from source (${debug ? 'Debug' : 'Release'}, Node headers ${nodedir}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
