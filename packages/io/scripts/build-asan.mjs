// Builds the addon with AddressSanitizer + UBSan into build-asan/osmo_io.node (offline, gcc/g++ directly, the
// sources binding.gyp builds: the C core as C, the N-API glue as C++). Node is not sanitized itself, so the
// build is loaded with
//   LD_PRELOAD=$(gcc -print-file-name=libasan.so) OSMO_IO_ADDON=packages/io/build-asan/osmo_io.node node ...
// (see scripts/test-fuzz.sh for the ASAN_OPTIONS / UBSAN_OPTIONS that make every report fatal).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const nodeInc = path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
if (!existsSync(path.join(nodeInc, 'node_api.h'))) {
  console.error(`@osmo/io: Node headers not found under ${nodeInc}`);
  process.exit(1);
}
// the same sources, include directories and defines as binding.gyp (which asks native-dir.cjs for them)
const require = createRequire(import.meta.url);
const { nativeDir, sources } = require('./native-dir.cjs');
const target = JSON.parse(readFileSync(path.join(pkg, 'binding.gyp'), 'utf8')).targets[0];
const native = nativeDir();
const outDir = path.join(pkg, 'build-asan');
const objDir = path.join(outDir, 'obj');
const out = path.join(outDir, 'osmo_io.node');
rmSync(objDir, { recursive: true, force: true });
mkdirSync(objDir, { recursive: true });
const cc = process.env.CC || 'gcc';
const cxx = process.env.CXX || 'g++';
const common = [
  '-g', '-O1', '-fPIC', '-fno-omit-frame-pointer',
  '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
  '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers',
  ...target.defines.map((d) => `-D${d}`),
  `-I${path.resolve(pkg, native, 'include')}`, `-I${path.resolve(pkg, native, 'src')}`,
  `-I${path.dirname(require.resolve('node-addon-api/napi.h'))}`,
  `-I${nodeInc}`,
];
const objs = sources().map((s, i) => {
  const src = path.resolve(pkg, s);
  const obj = path.join(objDir, `${i}-${path.basename(s)}.o`);
  const cpp = s.endsWith('.cc');
  execFileSync(cpp ? cxx : cc, [cpp ? '-std=gnu++17' : '-std=gnu11', ...(cpp ? ['-fexceptions'] : []), ...common, '-c', src, '-o', obj],
               { stdio: 'inherit' });
  return obj;
});
execFileSync(cxx, ['-shared', '-fsanitize=address,undefined', ...objs, '-o', out], { stdio: 'inherit' });
console.log(`built ${path.relative(process.cwd(), out)}`);
