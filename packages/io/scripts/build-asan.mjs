// Builds the addon with AddressSanitizer + UBSan into build-asan/osmo_io.node (offline, gcc directly, the
// sources binding.gyp builds). Node is not sanitized itself, so the build is loaded with
//   LD_PRELOAD=$(gcc -print-file-name=libasan.so) OSMO_IO_ADDON=packages/io/build-asan/osmo_io.node node ...
// (see scripts/test-fuzz.sh for the ASAN_OPTIONS / UBSAN_OPTIONS that make every report fatal).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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
// the same sources and include directories as binding.gyp (which asks native-dir.cjs for them)
const { nativeDir, sources } = createRequire(import.meta.url)('./native-dir.cjs');
const target = JSON.parse(readFileSync(path.join(pkg, 'binding.gyp'), 'utf8')).targets[0];
const native = nativeDir();
const out = path.join(pkg, 'build-asan', 'osmo_io.node');
mkdirSync(path.dirname(out), { recursive: true });
const cc = process.env.CC || 'gcc';
const args = [
  '-std=gnu11', '-g', '-O1', '-fPIC', '-shared', '-fno-omit-frame-pointer',
  '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
  '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers',
  ...target.defines.map((d) => `-D${d}`),
  `-I${path.resolve(pkg, native, 'include')}`, `-I${path.resolve(pkg, native, 'src')}`,
  `-I${nodeInc}`,
  ...sources().map((s) => path.resolve(pkg, s)),
  '-o', out,
];
execFileSync(cc, args, { stdio: 'inherit' });
console.log(`built ${path.relative(process.cwd(), out)}`);
