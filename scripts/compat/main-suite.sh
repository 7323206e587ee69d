#!/usr/bin/env bash
# The main jest suite under Node.js major VERSION (npm run test:node22 / test:node24): builds
# dist/ with that Node (the package tests read it), then runs jest with it. The type-check, lint
# and format steps of `npm test` do not depend on the Node version and are not repeated.
set -euo pipefail
version="${1:?usage: main-suite.sh MAJOR [jest args]}"
shift
cd "$(dirname "$0")/../.."
bash scripts/compat/with-node.sh "$version" bash -c '
  set -euo pipefail
  case "$(node -v)" in "v$0".*) ;; *) echo "expected Node $0, got $(node -v)" >&2; exit 1 ;; esac
  node scripts/build.js
  node node_modules/jest/bin/jest.js "$@"
' "$version" "$@"
