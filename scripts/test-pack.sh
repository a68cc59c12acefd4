#!/usr/bin/env bash
# npm run test:pack: the packages as a user gets them. Packs every workspace (npm pack runs each prepack:
# dist/ built, @osmo/io's C sources and prebuilt linux-x64 addon put in), then installs the tarballs into a
# fresh temporary project twice, with a stock npm configuration (no user npmrc, no nodedir):
#   prebuilt: the C compiler hidden from PATH, so the prebuilt addon must serve;
#   source:   OSMO_IO_BUILD_FROM_SOURCE=1, so @osmo/io's install script builds the addon offline from the shipped sources.
# Each time: the smoke program (scripts/pack-smoke/smoke.ts) is type-checked against the installed .d.ts files and
# run under both backends (IoFd echo, IPA client/server, CTRL GET/SET), and every CLI answers --help.
# Ends with "N passed, N failed"; exits non-zero on any failure. OSMO_TEST_COUNTS=<file>: appends "passed failed".
# OSMO_PACK_KEEP=1 keeps the temporary directory.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
passed=0 failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/osmo-pack.XXXXXX")
cleanup() { if [ "${OSMO_PACK_KEEP:-}" = 1 ]; then echo "(kept $work)"; else rm -rf "$work"; fi; }
trap cleanup EXIT

ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
  [ -n "${OSMO_TEST_COUNTS:-}" ] && echo "$passed $failed" >> "$OSMO_TEST_COUNTS"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]; exit $?
}
# run quietly; on failure show the output
quiet() { local log="$work/last.log"; if "$@" >"$log" 2>&1; then return 0; fi; tail -n 60 "$log"; return 1; }

# a stock npm: none of the npm_config_* the calling npm exported (nodedir among them), no user npmrc
stock=(env)
while IFS= read -r v; do stock+=(-u "$v"); done < <(env | grep -oiE '^npm_[a-z0-9_]+' | sort -u)
stock+=(NPM_CONFIG_USERCONFIG=/dev/null npm_config_nodedir= npm_config_audit=false npm_config_fund=false
        npm_config_update_notifier=false)

workspaces=$(node -p 'require("./package.json").workspaces.join(" ")')
echo "== lerna run pack:tgz (npm pack of every workspace, in dependency order): $workspaces"
mkdir -p "$work/tgz"
if OSMO_PACK_DEST="$work/tgz" quiet npx lerna run pack:tgz --concurrency 1; then :; else fail "lerna run pack:tgz"; finish; fi
tarballs=()
for ws in $workspaces; do
  read -r name version < <(node -p "const p=require('./$ws/package.json'); p.name+' '+p.version")
  t="$work/tgz/$(echo "${name#@}" | tr / -)-$version.tgz"
  if [ -f "$t" ]; then ok "pack $name -> $(basename "$t")"; tarballs+=("$t"); else fail "pack $name: no $(basename "$t")"; fi
done

io_tgz="$work/tgz/osmo-io-$(node -p 'require("./packages/io/package.json").version').tgz"
if [ -f "$io_tgz" ]; then
  list=$(tar -tzf "$io_tgz")
  missing=()
  for f in package/binding.gyp package/native/include/oio.h package/dist/src/index.js package/dist/src/index.d.ts \
           package/scripts/install.mjs package/scripts/build-addon.mjs package/scripts/native-dir.cjs; do
    grep -qx "$f" <<<"$list" || missing+=("$f")
  done
  for c in native/src/*.c native/src/*.h packages/io/src/addon/*.cc packages/io/src/addon/*.hh; do
    f="package/${c#packages/io/}"; grep -qx "$f" <<<"$list" || missing+=("$f")
  done
  grep -qE '^package/prebuilds/linux-x64/.+\.node$' <<<"$list" || missing+=("package/prebuilds/linux-x64/*.node")
  extra=$(grep -E '^package/(test|src/[^/]+\.ts$|build/)' <<<"$list" | head -3 | tr '\n' ' ')
  if [ ${#missing[@]} -eq 0 ] && [ -z "$extra" ]; then ok "@osmo/io tarball: C core and C++ glue sources, binding.gyp, prebuilt linux-x64 addon, dist with types"
  else fail "@osmo/io tarball: missing ${missing[*]:-nothing}; unexpected ${extra:-nothing}"; fi
fi

# publishable as they are (npm publish --dry-run of each tarball; scoped packages need publishConfig.access public)
for t in "${tarballs[@]}"; do
  if out=$("${stock[@]}" npm publish --dry-run "$t" 2>&1) && grep -q "public access" <<<"$out"; then ok "publish --dry-run $(basename "$t")"
  else fail "publish --dry-run $(basename "$t"): $(grep -iE 'error|access' <<<"$out" | head -2)"; fi
done

# independent versions: lerna version bumps each package and the pins between them (in a scratch git repo)
lv="$work/lerna-version"; mkdir -p "$lv"
cp lerna.json package.json package-lock.json "$lv"/
for ws in $workspaces; do mkdir -p "$lv/$ws"; cp "$ws/package.json" "$lv/$ws/"; done
ln -s "$root/node_modules" "$lv/node_modules"
printf 'node_modules\n' > "$lv/.gitignore"
if (cd "$lv" && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm base \
      && quiet npx lerna version patch --no-git-tag-version --no-push --yes); then
  bad=$(cd "$lv" && node -e '
    const ws = require("./package.json").workspaces, pk = ws.map((w) => require(`./${w}/package.json`));
    const v = Object.fromEntries(pk.map((p) => [p.name, p.version]));
    const orig = Object.fromEntries(ws.map((w) => [require(`${process.argv[1]}/${w}/package.json`).name, require(`${process.argv[1]}/${w}/package.json`).version]));
    const errs = [];
    for (const p of pk) {
      const [a, b, c] = orig[p.name].split(".").map(Number);
      if (p.version !== `${a}.${b}.${c + 1}`) errs.push(`${p.name} ${orig[p.name]} -> ${p.version}`);
      for (const [d, r] of Object.entries(p.dependencies ?? {})) if (d in v && r !== v[d]) errs.push(`${p.name} pins ${d}@${r}, not ${v[d]}`);
    }
    console.log(errs.join("; "));' "$root")
  if [ -z "$bad" ]; then ok "lerna version patch (independent): every package bumped, pins between them follow"
  else fail "lerna version: $bad"; fi
else fail "lerna version patch --no-git-tag-version --no-push"; fi

# PATH with node and npm but no C compiler, no make
nocc="$work/nocc-bin"; mkdir -p "$nocc"
for t in node npm npx sh bash env timeout; do p=$(command -v "$t") && ln -s "$(readlink -f "$p")" "$nocc/$t"; done
# npm and npx are scripts next to their own package: link them by their real path so they find it
ln -sf "$(readlink -f "$(command -v npm)")" "$nocc/npm"; ln -sf "$(readlink -f "$(command -v npx)")" "$nocc/npx"

ts_ver=$(node -p 'require("typescript/package.json").version')
types_ver=$(node -p 'require("@types/node/package.json").version')

variant() { # name, expected addon dir (prebuilds|build), PATH, extra npm install args...
  local name="$1" want="$2" path="$3"; shift 3
  local app="$work/app-$name"
  echo "== $name: install the tarballs into $app"
  mkdir -p "$app"
  # allowScripts: newer npm skips (for now: warns about) install scripts of dependencies not approved this way
  cat >"$app/package.json" <<EOF
{ "name": "smoke-$name", "private": true, "type": "module", "allowScripts": { "@osmo/io": true } }
EOF
  cat >"$app/tsconfig.json" <<'EOF'
{ "compilerOptions": { "target": "es2022", "module": "nodenext", "moduleResolution": "nodenext", "strict": true,
  "types": ["node"], "outDir": "out", "rootDir": "." }, "files": ["smoke.ts"] }
EOF
  cp "$root/scripts/pack-smoke/smoke.ts" "$app/smoke.ts"
  if [ "$name" = prebuilt ] && PATH="$path" bash -c 'command -v cc || command -v gcc || command -v make || command -v c++' >/dev/null; then
    fail "$name: a compiler is still on PATH"; return
  fi
  if (cd "$app" && PATH="$path" quiet "${stock[@]}" npm install --no-audit --no-fund "$@" "${tarballs[@]}" \
        "typescript@$ts_ver" "@types/node@$types_ver"); then
    ok "$name: npm install of ${#tarballs[@]} tarballs"
  else fail "$name: npm install"; return; fi
  if [ "$want" = prebuilds ] && [ -e "$app/node_modules/@osmo/io/build" ]; then fail "$name: a build/ appeared although the prebuilt addon should serve"
  elif [ "$want" = build ] && [ ! -f "$app/node_modules/@osmo/io/build/Release/osmo_io.node" ]; then fail "$name: no build/Release/osmo_io.node"
  else ok "$name: addon from $want/"; fi
  if (cd "$app" && PATH="$path" quiet node node_modules/typescript/bin/tsc -p .); then ok "$name: smoke.ts type-checks against the packages' .d.ts"
  else fail "$name: tsc (types from the tarballs)"; return; fi
  local be line out rc nfail
  for be in poll io_uring; do
    out=$(cd "$app" && PATH="$path" OSMO_IO_BACKEND=$be SMOKE_EXPECT_ADDON=$want timeout 60 node out/smoke.js 2>&1); rc=$?
    nfail=0
    while IFS= read -r line; do
      case "$line" in
        ok\ *) ok "$name/$be: ${line#ok }";;
        FAIL\ *) fail "$name/$be: ${line#FAIL }"; nfail=$((nfail + 1));;
        *) echo "     $line";;
      esac
    done <<<"$out"
    # the exit code is the number of failed checks; anything else means the program died
    [ "$rc" -eq "$nfail" ] || fail "$name/$be: smoke program crashed (exit $rc)"
  done
  local bin
  for bin in osmo-ctrl osmo-ctrl-server bsc-link-sim; do
    if out=$(cd "$app" && PATH="$path" timeout 20 ./node_modules/.bin/$bin --help 2>&1) && grep -qi usage <<<"$out"; then
      ok "$name: $bin --help"
    else fail "$name: $bin --help: $(head -3 <<<"$out")"; fi
  done
  if out=$(cd "$app" && PATH="$path" timeout 30 ./node_modules/.bin/bsc-link-sim --bts 2 --trx 1 --rate 20 --duration 1 --json 2>&1); then
    ok "$name: bsc-link-sim runs 2 BTS for 1 s ($(tail -1 <<<"$out" | cut -c1-80)...)"
  else fail "$name: bsc-link-sim run: $(tail -3 <<<"$out")"; fi
}

variant prebuilt prebuilds "$nocc"

# no install script at all (npm install --ignore-scripts, or an npm that skips unapproved ones): the loader still
# finds the prebuilt addon
out=""; app="$work/app-noscripts"; mkdir -p "$app"; echo '{ "name": "smoke-noscripts", "private": true, "type": "module" }' >"$app/package.json"
if (cd "$app" && PATH="$nocc" quiet "${stock[@]}" npm install --no-audit --no-fund --ignore-scripts "$io_tgz") \
   && out=$(cd "$app" && PATH="$nocc" OSMO_IO_BACKEND=poll node --input-type=module -e '
     import { socketpair, getBackend } from "@osmo/io"; const [a, b] = socketpair("stream"); console.log(getBackend(), a >= 0 && b >= 0);' 2>&1) \
   && [ "$out" = "poll true" ]; then ok "noscripts: @osmo/io installed with --ignore-scripts, no compiler: prebuilt addon loads"
else fail "noscripts: $(tail -3 <<<"${out:-install failed}")"; fi
OSMO_IO_BUILD_FROM_SOURCE=1 variant source build "$PATH"
finish
