#!/usr/bin/env bash
# Runs every test of the solution (see README.md, "Test it"): installs the Debian packages the
# tests need (tests/apt-packages.txt) when missing, builds, runs 'dotnet test' over the solution
# (xunit.v3 on Microsoft.Testing.Platform) and ends with one line: "N passed, N failed, N skipped".
# The fixtures start their own PostgreSQL and RabbitMQ on free ports; nothing needs to be running.
# Extra arguments go to 'dotnet test' (e.g. ./test.sh --filter-class '*Replication*').
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export SA_ARTIFACTS=${SA_ARTIFACTS:-test}
CONFIGURATION=${SA_CONFIGURATION:-Debug}
RESULTS=$ROOT/artifacts/$SA_ARTIFACTS/test-results
OUT=$(mktemp -t sa-test-XXXXXX.log)

command -v dotnet >/dev/null || { echo "The .NET SDK (dotnet) is not on PATH; install .NET SDK 10 first." >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
mapfile -t packages < <(grep -v '^\s*\(#\|$\)' tests/apt-packages.txt)
if ! "$ROOT/scripts/ensure-packages.sh" "${packages[@]}"; then
  echo "Could not install the test packages: ${packages[*]}" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

started=$(date +%s)
echo "Building StrategicAgent.sln ($CONFIGURATION, artifacts/$SA_ARTIFACTS) ..."
if ! dotnet build StrategicAgent.sln -c "$CONFIGURATION" -nologo -v:q -clp:ErrorsOnly; then
  echo "Build failed: no test ran." >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

rm -rf "$RESULTS"
echo "Running tests ..."
dotnet test --solution StrategicAgent.sln -c "$CONFIGURATION" --no-build --results-directory "$RESULTS" "$@" 2>&1 | tee "$OUT"
status=${PIPESTATUS[0]}

# The MTP summary: "total: N / failed: N / succeeded: N / skipped: N" (the last one printed is the run's).
count() { grep -E "^\s*$1:\s*[0-9]+" "$OUT" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
total=$(count total); failed=$(count failed); passed=$(count succeeded); skipped=$(count skipped)
# Repeat the failed tests' names at the end, so the last screen of a long run says which failed
# (MTP prints "failed <test> (<duration>)" when a test fails, amid the other projects' output).
failed_tests=$(grep -E '^\s*failed [A-Za-z_]' "$OUT" | grep -v 'failed with [0-9]* error' | sed -E 's/^\s+//' | sort -u)
if [ -n "$failed_tests" ]; then
  echo "Failed tests:"
  sed 's/^/  /' <<<"$failed_tests"
fi
rm -f "$OUT"
echo "Test run took $(( $(date +%s) - started )) s (build included)."
if [ "$total" -eq 0 ]; then
  echo "No test ran (exit code $status)." >&2
  [ "$status" -eq 0 ] && status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A test host that crashed or timed out fails the run without failing a test: count it.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
