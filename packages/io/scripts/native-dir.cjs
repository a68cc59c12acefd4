// Where the C core's sources are, relative to this package (printed for binding.gyp, exported for scripts).
// In the repository they live at the top (../../native); a packed tarball carries its own copy (./native),
// made by scripts/prepack.mjs. The repository wins when this package is its packages/io, so a stale copy
// left by an interrupted pack is never built by mistake.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.resolve(__dirname, '..');

function nativeDir() {
  const top = path.resolve(pkg, '..', '..');
  try {
    const inRepo = fs.realpathSync(path.join(top, 'packages', 'io')) === fs.realpathSync(pkg)
      && fs.existsSync(path.join(top, 'native', 'include', 'oio.h'));
    if (inRepo) return '../../native';
  } catch { /* not inside the repository */ }
  if (fs.existsSync(path.join(pkg, 'native', 'include', 'oio.h'))) return 'native';
  throw new Error(`@osmo/io: the C sources are missing (neither ${top}/native nor ${pkg}/native)`);
}

/** Every file binding.gyp compiles: the core's C and the N-API glue's C++ (a new file needs no edit of binding.gyp). */
function sources() {
  const dir = nativeDir();
  const list = (d, ext) => fs.readdirSync(path.join(pkg, d)).filter((f) => f.endsWith(ext)).sort().map((f) => `${d}/${f}`);
  return [...list(`${dir}/src`, '.c'), ...list('src/addon', '.cc')];
}

module.exports = { nativeDir, sources, pkg };
if (require.main === module) process.stdout.write(process.argv[2] === '--sources' ? sources().join(' ') : nativeDir());
