#!/usr/bin/env bash
# Runs the whole StrategicAgent system on this machine (see README.md, "Run it").
#   ./run.sh           install what is missing, build, start everything, print how to use it
#   ./run.sh --fresh   same, but throw away the data of earlier runs first
#   ./run.sh stop      stop a run started from another terminal
#   ./run.sh create-api-key --client ID [--admin] [--name TEXT]
#                      create an API key on the running system's primary (--admin: may train/deploy)
# Ctrl-C (or SIGTERM) stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

export SA_RUN_DIR=${SA_RUN_DIR:-$ROOT/.run}
RUN_DIR=$SA_RUN_DIR

# PostgreSQL runs as the postgres user when we are root: it must be able to reach the data
# directory. A checkout it cannot enter (e.g. under /root) keeps its run data under /var/tmp.
relocate_run_dir() {
  local probe=$RUN_DIR
  while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && [ -z "${SA_RUN_DIR_FIXED:-}" ] \
     && ! setpriv --reuid=postgres --regid=postgres --init-groups test -x "$probe" 2>/dev/null; then
    RUN_DIR=/var/tmp/strategicagent-$(echo "$ROOT" | md5sum | cut -c1-8)
    export SA_RUN_DIR=$RUN_DIR SA_RUN_DIR_FIXED=1
    [ "${1:-}" = quiet ] || echo "The postgres user cannot enter $probe; keeping run data in $RUN_DIR instead."
  fi
  PID_FILE=$RUN_DIR/apphost.pid
  LOG=$RUN_DIR/apphost.log
  RUN_INFO=$RUN_DIR/run-info.json
}
relocate_run_dir quiet
DASHBOARD_PORT=${SA_DASHBOARD_PORT:-18900}
OTLP_PORT=${SA_OTLP_PORT:-18901}
RESOURCE_PORT=${SA_RESOURCE_PORT:-18902}
GATEWAY_PORT=${StrategicAgent__Ports__Gateway:-18980}
WEB_PORT=${StrategicAgent__Ports__Web:-18990}
CONFIGURATION=${SA_CONFIGURATION:-Release}
export SA_ARTIFACTS=${SA_ARTIFACTS:-run}
START_TIMEOUT=${SA_START_TIMEOUT:-1200}

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid; pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q StrategicAgent.AppHost "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

BUILT=$ROOT/artifacts/$SA_ARTIFACTS/bin/

# Processes of this run: anything whose command line or environment names the run directory
# (the servers, their launchers, RabbitMQ's epmd), the services built for it (artifacts/$SA_ARTIFACTS)
# and the orchestrator (dcp) watching the AppHost. Builtins only (no fork per process): it is
# called in a loop and must not list its own helpers.
leftovers() {
  local apphost=${1:-none} p cmd args envs
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    args=(); { mapfile -d '' -t args <"$p/cmdline"; } 2>/dev/null || continue
    [ "${#args[@]}" -gt 0 ] || continue
    cmd="${args[*]} "
    case "$cmd" in
      *"$RUN_DIR"*|*"$BUILT"*|*"--monitor $apphost "*) echo "${p#/proc/}"; continue ;;
    esac
    envs=(); { mapfile -d '' -t envs <"$p/environ"; } 2>/dev/null || continue
    case " ${envs[*]} " in
      *" RABBITMQ_MNESIA_BASE=$RUN_DIR/"*) echo "${p#/proc/}" ;;
    esac
  done
  return 0
}

# "pid (name)" for a message.
describe() {
  local p out="" comm
  for p in "$@"; do comm=""; { read -r comm <"/proc/$p/comm"; } 2>/dev/null || true; out+="$p${comm:+ ($comm)} "; done
  echo "${out% }"
}

# Sends $1 to PostgreSQL servers and $2 to everything else; a pid that is already gone is fine.
signal_all() {
  local pg=$1 other=$2 p comm; shift 2
  for p in "$@"; do
    comm=""; { read -r comm <"/proc/$p/comm"; } 2>/dev/null || continue
    if [ "$comm" = postgres ]; then kill "-$pg" "$p" 2>/dev/null || true; else kill "-$other" "$p" 2>/dev/null || true; fi
  done
}

# Waits up to $2 seconds until nothing of the run is left; prints what still is.
wait_gone() {
  local apphost=$1 left="" i
  for ((i = 0; i <= $2 * 2; i++)); do
    left=$(leftovers "$apphost")
    [ -z "$left" ] && break
    [ "$i" -lt $(($2 * 2)) ] && sleep 0.5
  done
  echo $left
}

# Stops what is left of a run once its AppHost is gone: first a grace of $2 s (the orchestrator's own
# stop), then PostgreSQL fast shutdown (INT) / TERM, then immediate shutdown (QUIT) / KILL.
stop_leftovers() {
  local apphost=$1 left
  left=$(wait_gone "$apphost" "$2")
  [ -z "$left" ] && return 0
  echo "Still running, stopping: $(describe $left)"
  signal_all INT TERM $left
  left=$(wait_gone "$apphost" 30)
  [ -z "$left" ] && return 0
  echo "Still running after 30 s, killing: $(describe $left)"
  signal_all QUIT KILL $left
  left=$(wait_gone "$apphost" 15)
  [ -z "$left" ] && return 0
  echo "Could not stop: $(describe $left)" >&2
  return 1
}

stop_apphost() {
  local pid=$1 status=0
  echo "Stopping (AppHost pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then echo "AppHost did not stop within 30 s; killing it."; kill -KILL "$pid" 2>/dev/null || true; fi
  # The orchestrator stops the services and servers (PostgreSQL: fast shutdown; RabbitMQ, then its epmd).
  stop_leftovers "$pid" 60 || status=1
  rm -f "$PID_FILE"
  [ "$status" -eq 0 ] && echo "Stopped."
  return "$status"
}

# The pid an AppHost that is gone left in the pid file (its orchestrator is found by it), or "none".
stale_pid() {
  local pid=""
  [ -f "$PID_FILE" ] && read -r pid <"$PID_FILE" 2>/dev/null
  echo "${pid:-none}"
}

if [ "${1:-}" = "create-api-key" ]; then
  # An API key for a tenant of the running system, e.g. an operator key that may train and deploy:
  #   ./run.sh create-api-key --client 1 --admin [--name ops]
  shift
  [ -f "$RUN_INFO" ] || { echo "No $RUN_INFO: start the system with ./run.sh first (the key is created on its primary)." >&2; exit 1; }
  MIGRATOR_DLL=$ROOT/artifacts/$SA_ARTIFACTS/bin/StrategicAgent.Migrator/${CONFIGURATION,,}/StrategicAgent.Migrator.dll
  [ -f "$MIGRATOR_DLL" ] || dotnet build services/Migrator/StrategicAgent.Migrator -c "$CONFIGURATION" -nologo -v:q -clp:ErrorsOnly >&2
  exec dotnet "$MIGRATOR_DLL" create-api-key --run-info "$RUN_INFO" "$@"
fi
if [ "${1:-}" = "stop" ]; then
  if pid=$(running_pid); then
    stop_apphost "$pid" && exit 0 || exit 1
  fi
  stale=$(stale_pid)
  if [ -n "$(leftovers "$stale")" ]; then
    # The AppHost was killed (or its terminal closed) and left its servers and services running.
    echo "The AppHost is gone, but processes of its run ($RUN_DIR) are still running."
    if stop_leftovers "$stale" 0; then rm -f "$PID_FILE"; echo "Stopped."; exit 0; fi
    exit 1
  fi
  rm -f "$PID_FILE"
  echo "No StrategicAgent run is active (no live pid in $PID_FILE, no process of $RUN_DIR)."
  exit 0
fi
if pid=$(running_pid); then
  echo "StrategicAgent is already running (AppHost pid $pid). Use './run.sh stop' first." >&2
  exit 1
fi

command -v dotnet >/dev/null || { echo "The .NET SDK (dotnet) is not on PATH; install .NET SDK 10 first." >&2; exit 1; }
packages=(postgresql-15 rabbitmq-server libpg-query1504.0 libgomp1 curl)
if ! "$ROOT/scripts/ensure-packages.sh" "${packages[@]}"; then
  echo "Could not install the packages the system needs: ${packages[*]}. Nothing was started." >&2
  exit 1
fi

relocate_run_dir
mkdir -p "$RUN_DIR"; chmod 755 "$RUN_DIR"
stale=$(stale_pid)
if [ -n "$(leftovers "$stale")" ]; then
  echo "An earlier run whose AppHost is gone left processes running; stopping them first."
  stop_leftovers "$stale" 0 || { echo "Stop them (see above) and start again." >&2; exit 1; }
  rm -f "$PID_FILE"
fi
if [ "${1:-}" = "--fresh" ]; then
  echo "Removing earlier data in $RUN_DIR/data"
  rm -rf "$RUN_DIR/data"
fi

echo "Building (configuration $CONFIGURATION, artifacts/$SA_ARTIFACTS) ..."
dotnet build AppHost/StrategicAgent.AppHost -c "$CONFIGURATION" -nologo -v:q -clp:ErrorsOnly

rm -f "$RUN_INFO" "${RUN_INFO%.json}.txt"
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export ASPNETCORE_URLS=http://localhost:$DASHBOARD_PORT
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:$OTLP_PORT
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:$RESOURCE_PORT
export DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Development}
APPHOST_DLL=$ROOT/artifacts/$SA_ARTIFACTS/bin/StrategicAgent.AppHost/${CONFIGURATION,,}/StrategicAgent.AppHost.dll

echo "Starting the AppHost (log: $LOG) ..."
# Run the AppHost itself (not 'dotnet run'), so SIGTERM reaches it and it stops everything it started.
dotnet "$APPHOST_DLL" >"$LOG" 2>&1 &
APPHOST_PID=$!
echo "$APPHOST_PID" >"$PID_FILE"
trap 'echo; stop_apphost $APPHOST_PID; exit 130' INT TERM

started=$(date +%s)
status=""
while :; do
  if ! kill -0 "$APPHOST_PID" 2>/dev/null; then
    echo "The AppHost exited during start-up. Last lines of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    rm -f "$PID_FILE"
    exit 1
  fi
  if [ -f "$RUN_INFO" ]; then
    if grep -q '"status": "failed"' "$RUN_INFO"; then status=failed; break; fi
    # The gateway's /health is 200 only when every service it calls is serving. The web UI's /health is its
    # operators' Health page (a 302 to sign-in, which curl -f counts as success): its probe is /ready.
    if curl -fsS -o /dev/null "http://localhost:$GATEWAY_PORT/health" 2>/dev/null \
       && curl -fsS -o /dev/null "http://localhost:$WEB_PORT/ready" 2>/dev/null; then status=ready; break; fi
  fi
  if [ $(( $(date +%s) - started )) -gt "$START_TIMEOUT" ]; then status=timeout; break; fi
  sleep 2
done

login_url=$(grep -o 'http://[^ ]*/login?t=[0-9a-f]*' "$LOG" | tail -n 1 || true)
echo
case $status in
  ready)
    echo "StrategicAgent is running ($(( $(date +%s) - started )) s to healthy)."
    [ -n "$login_url" ] && echo "Dashboard login: $login_url"
    cat "${RUN_INFO%.json}.txt"
    echo "The same, as JSON: $RUN_INFO"
    echo "Stop with Ctrl-C here, or './run.sh stop' from another terminal." ;;
  failed)
    echo "Set-up failed:" >&2
    cat "${RUN_INFO%.json}.txt" >&2
    [ -n "$login_url" ] && echo "Details in the dashboard: $login_url (resource 'migrator')" >&2
    stop_apphost "$APPHOST_PID"
    exit 1 ;;
  timeout)
    echo "Not healthy after $START_TIMEOUT s. See the dashboard: ${login_url:-http://localhost:$DASHBOARD_PORT}" >&2 ;;
esac

wait "$APPHOST_PID" || true
rm -f "$PID_FILE"
