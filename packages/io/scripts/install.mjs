// npm install script of @osmo/io. Uses the prebuilt addon shipped in prebuilds/ when it loads on this machine
// (N-API: one binary serves every Node version); otherwise builds from source, offline, against the running
// Node's headers (scripts/build-addon.mjs). OSMO_IO_BUILD_FROM_SOURCE=1 (or npm's build-from-source config, the
// prebuild convention) skips the prebuilt addon. npm may skip install scripts of dependencies altogether (allowScripts): then the
// prebuilt addon is used as it is, and `npm rebuild @osmo/io` builds from source later.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fromSource = process.env.OSMO_IO_BUILD_FROM_SOURCE === '1'
  || /^(true|1|@osmo\/io)$/.test(process.env.npm_config_build_from_source ?? '');

function prebuiltLoads() {
  let load;
  try {
    load = require('node-gyp-build');
  } catch {
    return false;
  }
  try {
    const file = load.path(pkg);
    if (!file.includes(`${path.sep}prebuilds${path.sep}`)) return false;
    require(file);
    console.log(`@osmo/io: using the prebuilt addon ${path.relative(pkg, file)}`);
    return true;
  } catch {
    return false; // none for this platform, or it does not load here (e.g. an older C library)
  }
}

if (fromSource || !prebuiltLoads()) {
  const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'build-addon.mjs')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
