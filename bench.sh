#!/usr/bin/env bash
# The benchmarks: ./bench.sh <data|validation|...> [options]   (./bench.sh <command> --help)
# Release build in its own artifacts tree; each subcommand starts what it measures.
set -euo pipefail
cd "$(dirname "$0")"
export SA_ARTIFACTS=${SA_ARTIFACTS:-bench}
exec dotnet run -c Release --project bench/StrategicAgent.Bench -- "$@"
