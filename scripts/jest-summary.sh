#!/usr/bin/env bash
# Runs jest, then prints one plain closing line with the counts ("tests: N passed, N failed,
# N skipped") so CI logs end with a summary any reader understands; exits with jest's status.
set -uo pipefail
out="$(mktemp /tmp/recs-jest-XXXXXX.json)"
npx jest --ci --json --outputFile="$out" "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  // A suite that cannot even load counts as a failure too.
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  console.log(`tests: ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
' "$out" 2>/dev/null || echo "tests: 0 passed, 1 failed (jest produced no report)"
rm -f "$out"
exit $status
