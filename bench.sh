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
exec dotnet run -c Release --project bench/StrategicAgent.Bench -- "$@"
