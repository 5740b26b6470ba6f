#!/usr/bin/env bash
# The project's test command (`npm test`): installs what is missing, checks the
# generated code, type-checks, then runs the unit and integration suites. The
# integration suite starts its own private libvirtd (see harness/).
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund || exit 1
fi
bash harness/install.sh || exit 1
npm run -s gen:check || exit 1
npm run -s lint || exit 1
# Build first: the benchmarks (type-checked with the rest) import the built package.
npm run -s build || exit 1
npm run -s typecheck || exit 1

mkdir -p .tmp
npx vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest.json "$@"
status=$?
node scripts/summarize-tests.mjs .tmp/vitest.json || status=1
exit $status
