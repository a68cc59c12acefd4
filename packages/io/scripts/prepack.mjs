// npm pack / publish of @osmo/io (after `tsc -b` built dist/): makes the tarball self-contained.
// 1. copies the C core (../../native: include/ and src/) into ./native, where binding.gyp finds it in a tarball;
// 2. builds the prebuilt linux-x64 addon with prebuildify into ./prebuilds (N-API, so one binary serves every
//    Node version >= the one it targets), offline against the running Node's headers.
// `postpack` (scripts/postpack.mjs) removes both again. node-gyp's output is shown only on failure.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const top = path.resolve(pkg, '..', '..');

function fail(msg, output = '') {
  process.stderr.write(output);
  console.error(`@osmo/io prepack: ${msg}`);
  process.exit(1);
}

if (!existsSync(path.join(top, 'native', 'include', 'oio.h'))) fail(`run this from the repository (no ${top}/native)`);
if (!existsSync(path.join(pkg, 'dist', 'src', 'index.js'))) fail('dist/ is missing: tsc -b must run first');

rmSync(path.join(pkg, 'native'), { recursive: true, force: true });
for (const d of ['include', 'src']) cpSync(path.join(top, 'native', d), path.join(pkg, 'native', d), { recursive: true });

const nodedir = path.resolve(path.dirname(process.execPath), '..');
if (!existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) fail(`no Node headers under ${nodedir}/include/node`);
rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true });
const t0 = Date.now();
const r = spawnSync(process.execPath, [
  require.resolve('prebuildify/bin.js'), '--napi', '--strip', `--target=node@${process.versions.node}`,
  `--node-gyp=${require.resolve('node-gyp/bin/node-gyp.js')}`,
], {
  cwd: pkg, encoding: 'utf8', maxBuffer: 64 << 20,
  stdio: process.env.OSMO_IO_VERBOSE_BUILD === '1' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  // node-gyp takes the headers from nodedir and downloads nothing
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (r.status !== 0) fail(`prebuildify failed (${r.error?.message ?? `exit ${r.status}`})`, `${r.stdout ?? ''}${r.stderr ?? ''}`);
// prebuildify moves the addon out of build/Release: put a copy back, so the repository keeps a working build
// (same sources; build-addon.mjs still rebuilds when they change)
const dir = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
const built = readdirSync(dir).filter((f) => f.endsWith('.node'));
if (built.length !== 1) fail(`expected one addon in ${dir}, found ${built.join(', ') || 'none'}`);
mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
copyFileSync(path.join(dir, built[0]), path.join(pkg, 'build', 'Release', 'osmo_io.node'));
console.log(`@osmo/io prepack: C sources copied to native/, prebuilt addon in prebuilds/ (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
