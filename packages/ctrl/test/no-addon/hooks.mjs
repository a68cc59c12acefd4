// Test helper (module hooks): any import that resolves into @osmo/io (packages/io/src or dist) fails, as if the
// native addon were not built. A CLI that parses its arguments before loading the I/O layer still answers --help.
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/\/packages\/io\/(src|dist)\//.test(r.url)) {
    throw Object.assign(new Error(`@osmo/io unavailable in this test (imported ${r.url})`), { code: 'ERR_OSMO_IO_NOT_BUILT' });
  }
  return r;
}
