#!/usr/bin/env bash
# Each service's memory and CPU under the running system, for deploy/'s requests and limits and the capacity
# model (deploy/README.md, "Resources"; docs/deploy.md). Start the system first, then run this from the same
# checkout with the same port settings:
#   ./run.sh                                  # in another terminal; wait until it says it is running
#   scripts/measure-run.sh [--seconds 10] [--callers 1,8,32] [--client-id 1] [--idle 20] [--wait] [--out DIR]
#                          [--phases asks-gateway,asks-grpc,asks-again,predictions]   (which measured phases, in this order)
# (--wait: start it right after ./run.sh; it samples the start — the migrator's load, the first trainings — as the
# phase "start" until the system is ready.)
# It samples every process of the run from /proc every 2 s — each service (VmRSS, VmHWM, CPU), both PostgreSQL
# servers and RabbitMQ (proportional set size over all their processes, so shared buffers count once; CPU including
# exited backends) — through the phases
#   idle · asks-gateway (bench agent --gateway) · asks-grpc (bench agent --grpc) · asks-again (bench agent --gateway,
#   a second round: does anything keep growing?) · predictions (bench prediction --grpc --gateway) · idle-after
# and prints, per phase and process, the peak and last RSS and the CPU seconds used. CPU per operation = a phase's
# CPU seconds over the asks or calls of that phase (the bench reports below the table give them; the varied warm-up
# asks one variant of every corpus wording in the first asks phase). The machine's load average is printed with it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
seconds=10 callers=1,8,32 client=1 idle=20 out="" wait=0 phases=asks-gateway,asks-grpc,asks-again,predictions
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --callers) callers=$2; shift 2 ;;
    --client-id) client=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --wait) wait=1; shift ;;
    --phases) phases=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "measure-run: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
done

"$ROOT/scripts/ensure-packages.sh" jq curl || { echo "measure-run: needs jq and curl." >&2; exit 1; }
RUN_DIR=${SA_RUN_DIR:-$ROOT/.run}
# run.sh's fallback when the postgres user cannot enter the checkout
[ -d "$RUN_DIR/data" ] || RUN_DIR=/var/tmp/strategicagent-$(echo "$ROOT" | md5sum | cut -c1-8)
INFO=$RUN_DIR/run-info.json
BUILT=$ROOT/artifacts/${SA_ARTIFACTS:-run}/bin/
agent_grpc=http://127.0.0.1:${StrategicAgent__Ports__Agent:-18941}
prediction_grpc=http://127.0.0.1:${StrategicAgent__Ports__Prediction:-18944}
ready() { [ -f "$INFO" ] && grep -q '"status": "ready"' "$INFO" && curl -fsS -m 30 -o /dev/null "$(jq -r .gatewayUrl "$INFO")/health" 2>/dev/null; }
[ "$wait" = 1 ] || ready || { echo "measure-run: no running system ($INFO): start ./run.sh first (or pass --wait)." >&2; exit 1; }

out=${out:-$(mktemp -d -t sa-measure-XXXXXX)}
mkdir -p "$out"
samples=$out/samples.tsv phase_file=$out/phase
echo start >"$phase_file"
: >"$samples"
tck=$(getconf CLK_TCK)

# Prints "group pid" for every process of the run: services by their built assembly's folder, PostgreSQL servers by
# their postmaster's data directory (backends are its children), RabbitMQ by its node's data directory. Builtins
# only: it runs every 2 s over every process of the machine.
processes() {
  local p args cmd envs name comm stat
  local -A postmaster=()
  for p in /proc/[0-9]*; do
    args=(); { mapfile -d '' -t args <"$p/cmdline"; } 2>/dev/null || continue
    [ "${#args[@]}" -gt 0 ] || continue
    cmd="${args[*]}"
    comm=""; { read -r comm <"$p/comm"; } 2>/dev/null || continue
    case "$cmd" in
      *"$BUILT"StrategicAgent.AppHost/*|*"$BUILT"StrategicAgent.Bench/*|*"$BUILT"StrategicAgent.*.Tests/*) ;;
      *"$BUILT"StrategicAgent.*)
        name=${cmd#*"$BUILT"StrategicAgent.}; echo "${name%%/*} ${p#/proc/}" ;;
      *" -D $RUN_DIR/data/"*)
        [ "$comm" = postgres ] || continue
        name=${cmd#*" -D $RUN_DIR/data/"}; name=${name%%[ /]*}; postmaster[${p#/proc/}]=$name; echo "pg-$name ${p#/proc/}" ;;
      *beam.smp*)
        envs=(); { mapfile -d '' -t envs <"$p/environ"; } 2>/dev/null || continue
        case " ${envs[*]} " in *" RABBITMQ_MNESIA_BASE=$RUN_DIR/"*) echo "rabbitmq ${p#/proc/}" ;; esac ;;
    esac
  done
  [ "${#postmaster[@]}" -gt 0 ] || return 0
  for p in /proc/[0-9]*; do
    stat=""; { read -r stat <"$p/stat"; } 2>/dev/null || continue
    stat=${stat##*) }; read -r _ ppid _ <<<"$stat"
    [ -n "${postmaster[$ppid]:-}" ] && echo "pg-${postmaster[$ppid]} ${p#/proc/}"
  done
  return 0
}

# The value (kB) of field $2 in the "Name: value kB" file $1, or 0.
field() { local k v _; while read -r k v _; do [ "$k" = "$2:" ] && { echo "$v"; return; }; done <"$1" 2>/dev/null; echo 0; }

# One line per group: time phase group rss_kb hwm_kb cpu_ticks. Services: VmRSS, VmHWM; PostgreSQL and RabbitMQ:
# PSS summed over their processes (shared buffers once), CPU with the reaped children's (exited backends).
sample() {
  local now phase group pid stat f cpu
  now=$(date +%s); { read -r phase <"$phase_file"; } 2>/dev/null || return 0
  local -A R=() H=() C=()
  while read -r group pid; do
    stat=""; { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue
    read -r -a f <<<"${stat##*) }"
    # after "(comm) ": utime stime cutime cstime are fields 12-15 (1-based)
    cpu=$(( f[11] + f[12] + f[13] + f[14] ))
    case $group in
      pg-*|rabbitmq) R[$group]=$(( ${R[$group]:-0} + $(field "/proc/$pid/smaps_rollup" Pss) )); H[$group]=0 ;;
      *) R[$group]=$(( ${R[$group]:-0} + $(field "/proc/$pid/status" VmRSS) ))
         H[$group]=$(( ${H[$group]:-0} + $(field "/proc/$pid/status" VmHWM) )) ;;
    esac
    C[$group]=$(( ${C[$group]:-0} + cpu ))
  done < <(processes)
  for group in "${!R[@]}"; do echo "$now $phase $group ${R[$group]} ${H[$group]} ${C[$group]}"; done
}

sampler() { while [ -f "$phase_file" ]; do sample >>"$samples"; sleep 2; done; }
sampler &
sampler_pid=$!
trap 'rm -f "$phase_file"; wait "$sampler_pid" 2>/dev/null || true' EXIT
trap 'exit 143' TERM INT

bench_dll=$ROOT/artifacts/${SA_ARTIFACTS:-run}/bin/StrategicAgent.Bench/release/StrategicAgent.Bench.dll
[ -f "$bench_dll" ] || dotnet build bench/StrategicAgent.Bench -c Release -nologo -v:q -clp:ErrorsOnly
bench() { dotnet "$bench_dll" "$@"; }
phase() { echo "$1" >"$phase_file"; echo "== $1 (load average $(cut -d' ' -f1-3 /proc/loadavg)) $(date -u +%H:%M:%S)" >&2; }

status=0
if [ "$wait" = 1 ]; then
  phase start
  waited=0
  until ready; do
    [ "$waited" -lt "${SA_START_TIMEOUT:-1200}" ] || { echo "measure-run: the system was not ready after $waited s." >&2; exit 1; }
    [ $(( waited % 60 )) = 0 ] && echo "measure-run: not ready after $waited s ($INFO $( [ -f "$INFO" ] && grep -o '"status": "[a-z]*"' "$INFO" || echo missing))" >&2
    sleep 2; waited=$((waited + 2))
  done
fi
gateway=$(jq -r .gatewayUrl "$INFO")
key=$(jq -r --argjson c "$client" '.apiKeys[] | select(.clientId == $c) | .key' "$INFO")
[ -n "$key" ] || { echo "measure-run: no demo API key for client $client in $INFO" >&2; exit 1; }
# Ready is not yet answering: on a first start the replica is still applying the demo data (the tenant is unknown there
# until it has: "not active"). Wait until the tenant's ask is answered or refused.
# Each try is bounded (a first ask on a loaded machine takes a while; one that hangs must not stall the wait) and the
# wait says every minute what the ask answered.
ask_status() {
  curl -sS -m 120 -o /dev/null -w '%{http_code}' -X POST "$gateway/api/v1/agent/ask" -H "X-Api-Key: $key" \
    -H 'Content-Type: application/json' -d '{"question":"How many bugs were created last month?"}' 2>/dev/null || true
}
waited=0 started_wait=$(date +%s)
until [ "$(ask_status | tee "$out/ask-status")" = 200 ]; do
  waited=$(( $(date +%s) - started_wait ))
  [ "$waited" -lt "${SA_START_TIMEOUT:-1200}" ] || { echo "measure-run: tenant $client's asks still fail after $waited s." >&2; exit 1; }
  [ $(( waited % 60 )) -lt 5 ] && echo "measure-run: tenant $client's ask answered HTTP $(cat "$out/ask-status") after $waited s; waiting" >&2
  sleep 5
done
phase idle; sleep "$idle"
for p in ${phases//,/ }; do
  phase "$p"
  case $p in
    asks-gateway|asks-again)
      bench agent --gateway "$gateway" --api-key "$key" --client-id "$client" --seconds "$seconds" --callers "$callers" --out "$out/$p.md" >/dev/null || status=1 ;;
    asks-grpc)
      bench agent --grpc "$agent_grpc" --gateway "$gateway" --api-key "$key" --client-id "$client" --seconds "$seconds" --callers "$callers" --out "$out/$p.md" >/dev/null || status=1 ;;
    predictions)
      bench prediction --grpc "$prediction_grpc" --gateway "$gateway" --api-key "$key" --client-id "$client" --seconds "$seconds" --out "$out/$p.md" >/dev/null || status=1 ;;
    *) echo "measure-run: unknown phase $p" >&2; status=1 ;;
  esac
done
phase idle-after; sleep "$idle"
rm -f "$phase_file"; wait "$sampler_pid" 2>/dev/null || true; trap - EXIT

echo "Per process and phase (services: VmRSS, and VmHWM = the process's peak since it started; PostgreSQL and RabbitMQ: PSS over all their processes; sampled every 2 s; CPU from the previous phase's last sample; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)):"
echo
echo "| phase | process | seconds | peak RSS MiB (sampled) | last RSS MiB | VmHWM MiB (since start) | CPU s |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk -v tck="$tck" '
  { key = $2 SUBSEP $3
    if (!($2 in pidx)) pidx[$2] = ++phases
    if (!(key in first)) { first[key] = $1; cpu0[key] = ($3 in lastcpu) ? lastcpu[$3] : $6; order[++n] = key }
    lastcpu[$3] = $6; last[key] = $1; cpu1[key] = $6; rss[key] = $4; hwm[key] = $5
    if ($4 > peak[key]) peak[key] = $4 }
  END { for (i = 1; i <= n; i++) { k = order[i]; split(k, a, SUBSEP)
          printf "%03d %s | %s | %s | %d | %.0f | %.0f | %s | %.2f |\n", pidx[a[1]], a[2], a[1], a[2], last[k] - first[k], peak[k] / 1024, rss[k] / 1024,
            (hwm[k] > 0 ? sprintf("%.0f", hwm[k] / 1024) : "—"), (cpu1[k] - cpu0[k]) / tck } }
' "$samples" | sort -k1,1n -k2,2 | cut -d' ' -f3-
echo
for f in ${phases//,/ }; do
  [ -f "$out/$f.md" ] && { echo "### $f"; cat "$out/$f.md"; echo; }
done
echo "Samples and reports: $out"
exit "$status"
