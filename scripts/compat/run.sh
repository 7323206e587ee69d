#!/usr/bin/env bash
# npm run test:compat: the PACKED library in scratch projects, outside the repository (so nothing
# resolves from its node_modules), with the peer versions the main suite does not install:
#
#   1. package  the tarball's contents (tests/compat/package-contents.mjs): LICENSE, every
#               relative link of its Markdown files, source maps with their sources.
#   2. app      openai 7 + Nest 12 (ESM-only) under Node 22: `npm install` of the tarball with
#               those peers (no --legacy-peer-deps: a peer range that excluded them would fail
#               with ERESOLVE), compiled by the app's own tsc (tests/compat/app), run with
#               `node --test`: decorated calls through the real SDK against the fault server,
#               and a Nest app over HTTP.
#   3. types    consumers (tests/compat/types) type-checked with skipLibCheck: false, so every
#               shipped .d.ts is checked: TypeScript 5.0 (the oldest the README claims) with
#               openai 7 / Nest 11 / ioredis 5, and the current TypeScript 5.9 with openai 7 /
#               Nest 12 / ioredis 6; nodenext (ESM and CommonJS), node10, bundler + standard decorators.
#
# Usage: bash scripts/compat/run.sh [package|app|types]...   (default: all three)
# Env: COMPAT_NODE (default 22), COMPAT_KEEP=1 keeps the scratch directory, COMPAT_SKIP_BUILD=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(package app types)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/llm-resilience-compat-XXXXXX")"
if [ "${COMPAT_KEEP:-}" = 1 ]; then echo "compat: scratch directory $WORK (kept)"; else trap 'rm -rf "$WORK"' EXIT; fi
export NODE_OPTIONS="" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# Everything below runs under Node 22 (openai 7 declares node >= 22); dist/ is built with it too.
NODE_BIN="$(bash scripts/compat/node-bin.sh "${COMPAT_NODE:-22}")"
export PATH="$NODE_BIN:$PATH"
echo "compat: Node $(node -v), npm $(npm -v)"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
started_all="$(now)"

# npm in a scratch project; quiet unless it fails.
npm_in() {
  local dir="$1"
  shift
  if ! (cd "$dir" && npm "$@" >"$WORK/npm.log" 2>&1); then
    cat "$WORK/npm.log" >&2
    echo "compat: npm $* failed in $dir" >&2
    return 1
  fi
  grep -E "ERESOLVE|EBADENGINE" "$WORK/npm.log" >&2 || true
}

# Fails unless the package installed in $1 has major version $3.
expect_major() {
  local got
  got="$(node -p "require('$1/node_modules/$2/package.json').version")"
  case "$got" in "$3".*) echo "  $2 $got" ;; *) echo "compat: expected $2 $3.x, got $got" >&2; return 1 ;; esac
}

if [ "${COMPAT_SKIP_BUILD:-}" != 1 ]; then node scripts/build.js >/dev/null; fi
TARBALL="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
echo "compat: packed $(basename "$TARBALL")"

run_package() {
  COMPAT_TARBALL="$TARBALL" node --test --test-reporter=spec tests/compat/package-contents.mjs
}

run_app() {
  local app="$WORK/app"
  mkdir -p "$app"
  cp tests/compat/app/tsconfig.json tests/compat/app/*.mts "$app/"
  echo '{ "name": "compat-app", "private": true, "type": "module" }' >"$app/package.json"
  (
    npm_in "$app" install --ignore-scripts "$TARBALL" \
      openai@7 @nestjs/common@12 @nestjs/core@12 @nestjs/platform-express@12 \
      reflect-metadata@0.2 rxjs@7 typescript@5.9 @types/node@22
    for spec in openai:7 @nestjs/common:12 @nestjs/core:12 @nestjs/platform-express:12 typescript:5; do
      expect_major "$app" "${spec%:*}" "${spec##*:}"
    done
    (cd "$app" && node node_modules/typescript/bin/tsc -p tsconfig.json)
    (cd "$app" && node --test --test-reporter=spec build/*.mjs)
  )
}

# $1: label, $2: TypeScript version, then the peers to install.
run_types_with() {
  local label="$1" ts="$2" dir="$WORK/types-$1"
  shift 2
  mkdir -p "$dir"
  cp tests/compat/types/* "$dir/"
  echo '{ "name": "compat-types", "private": true }' >"$dir/package.json"
  npm_in "$dir" install --ignore-scripts "$TARBALL" "typescript@$ts" "$@"
  echo "compat types ($label): TypeScript $(node -p "require('$dir/node_modules/typescript/package.json').version"), skipLibCheck: false"
  local config
  for config in tsconfig.json tsconfig.node10.json tsconfig.bundler.json; do
    (cd "$dir" && node node_modules/typescript/bin/tsc -p "$config") || {
      echo "compat types ($label): $config FAILED" >&2
      return 1
    }
    echo "  ok  $config"
  done
}

run_types() {
  run_types_with oldest 5.0 openai@7 @nestjs/common@11 @nestjs/core@11 ioredis@5 reflect-metadata@0.2 rxjs@7 @types/node@20
  # ioredis 6's declarations import redis-errors, which ships no types: @types/redis-errors
  # (what TypeScript itself suggests) stands for what an app with skipLibCheck: false adds.
  run_types_with current 5.9 openai@7 @nestjs/common@12 @nestjs/core@12 ioredis@6 @types/redis-errors reflect-metadata@0.2 rxjs@7 @types/node@22
}

for step in "${steps[@]}"; do
  started="$(now)"
  echo "=== compat: $step"
  case "$step" in
    package) run_package ;;
    app) run_app ;;
    types) run_types ;;
    *) echo "compat: unknown step $step (package, app, types)" >&2; exit 2 ;;
  esac
  echo "=== compat: $step passed in $(elapsed "$started")"
done
echo "=== compat: all passed in $(elapsed "$started_all")"
