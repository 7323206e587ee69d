#!/usr/bin/env bash
# Runs a command with Node.js major VERSION first on PATH (installed by node-bin.sh if needed).
# Usage: bash scripts/compat/with-node.sh 22 node node_modules/jest/bin/jest.js
set -euo pipefail
version="${1:?usage: with-node.sh MAJOR COMMAND...}"
shift
bin="$(bash "$(dirname "$0")/node-bin.sh" "$version")"
export PATH="$bin:$PATH"
echo "with-node.sh: $(command -v node) $(node -v)" >&2
exec "$@"
