#!/usr/bin/env bash
# The benchmarks: ./bench.sh <data|validation|...> [options]   (./bench.sh <command> --help)
# Release build in its own artifacts tree; each subcommand starts what it measures.
set -euo pipefail
cd "$(dirname "$0")"
export SA_ARTIFACTS=${SA_ARTIFACTS:-bench}
case "${1:-}" in
  ui|ui-screenshots)
    # The web UI's figures and screenshots drive Chromium against the whole system, started as the web
    # UI's end-to-end tests start it (tests/StrategicAgent.Web.Tests, explicit tests; docs/ui.md).
    scripts/ensure-packages.sh postgresql-15 rabbitmq-server libpg-query1504.0 libgomp1 chromium
    dotnet build tests/StrategicAgent.Web.Tests -c Release -nologo -v:q -clp:ErrorsOnly
    method=$([ "$1" = ui ] && echo Ui || echo Screenshots)
    out=$(mktemp -t sa-ui-bench-XXXXXX.txt)
    status=0
    SA_UI_BENCH_OUT=$out dotnet test --project tests/StrategicAgent.Web.Tests -c Release --no-build \
      --explicit only --filter-method "StrategicAgent.Web.Tests.UiBenchmark.$method" >"$out.log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then tail -n 40 "$out.log" >&2; fi
    [ "$1" = ui ] && cat "$out"
    [ "$1" = ui-screenshots ] && [ "$status" -eq 0 ] && ls -l docs/ui/*.png
    rm -f "$out" "$out.log"
    exit "$status" ;;
esac
exec dotnet run -c Release --project bench/StrategicAgent.Bench -- "$@"
