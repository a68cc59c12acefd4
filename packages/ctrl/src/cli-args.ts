/**
 * Command-line helpers shared by the toolkit's CLIs (osmo-ctrl, bsc-link-sim), as `@osmo/ctrl/cli-args`.
 *
 * `--port -5` would be parseArgs' "argument is ambiguous": a negative number after an option that takes a value is
 * that value (`--port=-5`), so that the CLI's own range check names the problem.
 */
export function joinNegativeValues(argv: readonly string[], valued: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, next = argv[i + 1];
    if (valued.includes(a) && next !== undefined && /^-\d/.test(next)) { out.push(`${a}=${next}`); i++; } else out.push(a);
  }
  return out;
}
