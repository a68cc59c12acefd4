// How many tests mocha is expected to run: loads every spec file mocha would load (same .mocharc.json, same
// extra arguments) in dry-run mode, one file at a time, so that a file that throws while loading is named
// instead of hiding every other file's tests. Used by scripts/test.sh to tell "2 failed" from "800 never ran".
// Run it the way mocha runs (node --import tsx --conditions=source scripts/mocha-expect.mjs OUT.json [mocha args]).
// Writes { expected, files: [{ file, tests }], broken: [{ file, error }] } to OUT.json.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const Mocha = require('mocha');
const { loadOptions } = require('mocha/lib/cli/options.js');
const collectFiles = require('mocha/lib/cli/collect-files.js');

const [out, ...argv] = process.argv.slice(2);
if (!out) {
  console.error('usage: mocha-expect.mjs OUT.json [mocha args]');
  process.exit(2);
}
const opts = loadOptions(argv);
const { files } = collectFiles({
  ignore: opts.ignore ?? [], extension: opts.extension ?? ['js'], file: opts.file ?? [],
  recursive: !!opts.recursive, sort: !!opts.sort, spec: opts.spec ?? (opts._?.length ? opts._.map(String) : ['./test']),
});

const result = { expected: 0, files: [], broken: [] };
for (const file of files) {
  const mocha = new Mocha({ dryRun: true, ui: opts.ui ?? 'bdd', grep: opts.grep, fgrep: opts.fgrep, invert: opts.invert });
  mocha.addFile(file);
  const rel = path.relative(process.cwd(), file);
  try {
    await mocha.loadFilesAsync();
    // grep filters are applied when the tests run: count with the same filter mocha uses
    const re = mocha.options.grep ? new RegExp(mocha.options.grep) : null;
    let n = 0;
    const walk = (s) => {
      for (const t of s.tests) if (!re || re.test(t.fullTitle()) !== !!opts.invert) n++;
      for (const c of s.suites) walk(c);
    };
    walk(mocha.suite);
    result.files.push({ file: rel, tests: n });
    result.expected += n;
  } catch (e) {
    result.broken.push({ file: rel, error: String(e?.message ?? e).split('\n')[0] });
  }
}
writeFileSync(out, JSON.stringify(result, null, 1));
