// Builds the native addon offline against the headers of the running Node (never downloads headers).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const nodedir = path.resolve(path.dirname(process.execPath), '..');
if (!existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`@osmo/io: Node headers not found under ${nodedir}/include/node`);
  process.exit(1);
}
const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}
const args = [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max'];
if (process.env.OSMO_IO_DEBUG_BUILD) args.push('--debug');
execFileSync(process.execPath, args, { cwd: pkg, stdio: 'inherit' });
