#!/usr/bin/env bash
# Prints the bin directory of a real Node.js binary of major VERSION (22, 24, ...), installing it
# first if needed: the npm registry's `node` package ships the official binaries. Kept in a cache
# outside the repository ($LLM_RESILIENCE_NODE_CACHE, default ~/.cache/llm-resilience-node) and
# reused. Usage: bash scripts/compat/node-bin.sh 22
set -euo pipefail
version="${1:?usage: node-bin.sh MAJOR}"
cache="${LLM_RESILIENCE_NODE_CACHE:-${HOME:-/tmp}/.cache/llm-resilience-node}/$version"
bin="$cache/node_modules/node/bin"
if ! "$bin/node" -v 2>/dev/null | grep -q "^v$version\."; then
  mkdir -p "$cache"
  [ -f "$cache/package.json" ] || echo '{ "name": "llm-resilience-node-cache", "private": true }' >"$cache/package.json"
  # npm blocks the package's install script (it only relinks the binary): the binary works without it.
  (cd "$cache" && npm install --no-audit --no-fund --no-save "node@$version" >&2)
  "$bin/node" -v | grep -q "^v$version\." || { echo "node-bin.sh: no Node $version in $bin" >&2; exit 1; }
fi
echo "$bin"
