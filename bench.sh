#!/usr/bin/env bash
# The benchmarks: ./bench.sh <data|validation|...> [options]   (./bench.sh <command> --help)
# Installs the Debian packages the benchmark needs when missing (every one starts its own
# PostgreSQL; validation runs sqlglot next to the validator, training XGBoost next to ML.NET),
# then builds in Release in its own artifacts tree and runs it; each subcommand starts what it measures.
set -euo pipefail
cd "$(dirname "$0")"
export SA_ARTIFACTS=${SA_ARTIFACTS:-bench}
command=${1:-}
packages=(postgresql-15 libpg-query1504.0 libgomp1)
case "$command" in
  validation) packages+=(python3-sqlglot) ;;
  training) packages+=(python3-xgboost) ;;
  faults) packages+=(rabbitmq-server) ;;
  ui|ui-screenshots) packages+=(rabbitmq-server chromium pngquant) ;;
esac
case " $* " in
  "  "|*" --help "*|*" -h "*) ;;   # usage only: nothing to install
  *)
    if ! scripts/ensure-packages.sh "${packages[@]}"; then
      echo "Could not install the packages './bench.sh $command' needs: ${packages[*]}. Nothing was measured." >&2
      exit 1
    fi ;;
esac
command -v dotnet >/dev/null || { echo "The .NET SDK (dotnet) is not on PATH; install .NET SDK 10 first." >&2; exit 1; }
if [ "$command" = faults ]; then
  # The fault-injection suite (tests/StrategicAgent.Reliability.Tests/Faults; docs/reliability.md): the
  # whole system in executables mode, processes SIGKILLed during traffic; prints one row per fault.
  case " $* " in *" --help "*|*" -h "*)
    echo "usage: ./bench.sh faults   (no options: replica, primary, broker and prediction service SIGKILLed during traffic, ml-training SIGKILLed during a training run, a hanging then garbage LLM)"; exit 0 ;; esac
  dotnet build tests/StrategicAgent.Reliability.Tests -nologo -v:q -clp:ErrorsOnly
  log=$(mktemp -t sa-faults-XXXXXX.log)
  set +e
  dotnet test --project tests/StrategicAgent.Reliability.Tests --no-build --filter-namespace '*Faults*' --output Detailed >"$log" 2>&1
  status=$?
  set -e
  echo "| fault | what callers got | time until served again (restart) | lost (predictions, runs) | notes | load |"
  echo "|---|---|---|---|---|---|"
  grep -E '^\s*\| .* \| load [0-9.]+ \|$' "$log" | sed 's/^\s*//' | awk '!seen[$0]++'
  grep -E '^(passed|failed) ' "$log"
  if [ "$status" -eq 0 ]; then rm -f "$log"; else echo "The fault suite failed (exit $status); its output: $log" >&2; fi
  exit "$status"
fi
case "$command" in
  ui|ui-screenshots)
    # The web UI's figures and screenshots drive Chromium against the whole system, started as the web
    # UI's end-to-end tests start it (tests/StrategicAgent.Web.Tests, explicit tests; docs/ui.md).
    # Nothing waits forever: every measured step has its own timeout (a failed one is printed as a failure),
    # the test has one (40 min), and the whole run is stopped after SA_UI_BENCH_TIMEOUT (default 50 min).
    dotnet build tests/StrategicAgent.Web.Tests -c Release -nologo -v:q -clp:ErrorsOnly
    # ./bench.sh ui --screenshots: the figures and then the screenshots, from one start of the system.
    filters=(--filter-method "StrategicAgent.Web.Tests.UiBenchmark.$([ "$command" = ui ] && echo Ui || echo Screenshots)")
    case " $* " in *" --screenshots "*) filters+=(--filter-method StrategicAgent.Web.Tests.UiBenchmark.Screenshots) ;; esac
    out=$(mktemp -t sa-ui-bench-XXXXXX.txt)
    status=0
    SA_UI_BENCH_OUT=$out timeout --kill-after=60 "${SA_UI_BENCH_TIMEOUT:-50m}" \
      dotnet test --project tests/StrategicAgent.Web.Tests -c Release --no-build \
      --explicit only "${filters[@]}" >"$out.log" 2>&1 || status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then echo "./bench.sh $command stopped after ${SA_UI_BENCH_TIMEOUT:-50m} (exit $status)." >&2; fi
    if [ "$status" -ne 0 ]; then tail -n 40 "$out.log" >&2; fi
    # The figures measured so far, also when the run failed or was stopped.
    if [ "$command" = ui ] && [ -s "$out" ]; then cat "$out"; fi
    if [ "${#filters[@]}" -gt 2 ] || [ "$command" = ui-screenshots ]; then
      # Committed documentation images: 256 colours (pngquant) keep them small; a file it cannot shrink stays as it is.
      pngquant --force --skip-if-larger --strip --quality 70-95 --ext .png docs/ui/*.png 2>/dev/null || true
      ls -l docs/ui/*.png 2>/dev/null || true
    fi
    rm -f "$out" "$out.log"
    exit "$status" ;;
esac
exec dotnet run -c Release --project bench/StrategicAgent.Bench -- "$@"
