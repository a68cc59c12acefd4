// The repository's own tooling: what `npm test` expects to run (scripts/mocha-expect.mjs), so that a test file
// that cannot load is a named failure instead of a silent hole, and the addon build that `npm start`/`npm test`
// run each time (packages/io/scripts/build-addon.mjs), which must not rebuild when nothing changed.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('scripts/mocha-expect.mjs: the tests npm test expects to run', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'mocha-expect-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function expectRun(files: Record<string, string>, ...args: string[]) {
    for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, name), body);
    const out = path.join(dir, 'out.json');
    // cwd without a .mocharc: only the files given count
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'mocha-expect.mjs'), out, ...Object.keys(files), ...args],
      { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(readFileSync(out, 'utf8')) as { expected: number; files: { file: string; tests: number }[]; broken: { file: string; error: string }[] };
  }

  it('counts every test of every file, pending ones included, and names a file that throws while loading', () => {
    const res = expectRun({
      'a.test.mjs': "describe('a', () => { it('1', () => {}); it('2', () => {}); describe('inner', () => { it.skip('3', () => {}); }); });",
      'b.test.mjs': "import { readFileSync } from 'node:fs'; readFileSync('/nonexistent/capture.tsv'); describe('b', () => { it('never counted', () => {}); });",
      'c.test.mjs': "describe('c', () => { it('1', () => {}); });",
    });
    expect(res.expected).to.equal(4);
    expect(res.files).to.deep.equal([{ file: 'a.test.mjs', tests: 3 }, { file: 'c.test.mjs', tests: 1 }]);
    expect(res.broken).to.have.length(1);
    expect(res.broken[0]!.file).to.equal('b.test.mjs');
    expect(res.broken[0]!.error).to.match(/ENOENT.*\/nonexistent\/capture\.tsv/);
  });

  it('counts what --grep selects, as mocha does', () => {
    const res = expectRun({ 'a.test.mjs': "describe('codec', () => { it('decodes', () => {}); it('encodes', () => {}); }); describe('link', () => { it('connects', () => {}); });" },
      '--grep', 'codec');
    expect(res.expected).to.equal(2);
  });
});

describe('packages/io/scripts/build-addon.mjs: no rebuild when nothing changed', () => {
  it('a second run right after a build leaves the addon untouched and prints nothing', function () {
    this.timeout(180_000); // the first run builds if a source changed since the last build
    const script = path.join(root, 'packages', 'io', 'scripts', 'build-addon.mjs');
    const addon = path.join(root, 'packages', 'io', 'build', 'Release', 'osmo_io.node');
    const first = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(first.status, first.stdout + first.stderr).to.equal(0);
    const before = statSync(addon).mtimeMs;
    const second = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout + second.stderr).to.equal('');
    expect(statSync(addon).mtimeMs).to.equal(before);
  });
});
