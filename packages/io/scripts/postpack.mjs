// After npm pack / publish of @osmo/io: removes the copies prepack made (native/, prebuilds/), so the
// repository builds from ../../native only and no prebuilt addon of an older source stays around.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const d of ['native', 'prebuilds']) rmSync(path.join(pkg, d), { recursive: true, force: true });
