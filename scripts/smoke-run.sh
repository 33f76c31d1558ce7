#!/usr/bin/env bash
# Starts `make run` on the embedded default (SQLite, no Redis), waits for the
# port, fetches the home page and the scenario list, runs a built-in scenario
# to the end through the API, and stops it. Used by .ci/run.
# With SMOKE_REDIS=1 (and redis-server installed) it does the same with a
# throwaway Redis, so runs go to the Celery worker `make run` starts, and checks
# that the worker stops when the server does.
set -euo pipefail
cd "$(dirname "$0")/.."
# A free port unless told: another server may already sit on any fixed one.
port=${SMOKE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "smoke: port $port is already in use" >&2; exit 1; fi
base="http://127.0.0.1:$port"
work=$(mktemp -d)
log="$work/make-run.log"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "smoke: $*" >&2; tail -n 60 "$log" >&2 || true; exit 1; }

env_args=(-u DATABASE_URL -u REDIS_URL)
if [ "${SMOKE_REDIS:-0}" = 1 ]; then
  command -v redis-server >/dev/null || fail "SMOKE_REDIS=1 needs redis-server"
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  setsid redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
  pids+=($!)
  env_args+=(REDIS_URL="redis://127.0.0.1:$redis_port/0")
fi

# A background job of a script starts with SIGINT ignored; give make run the
# default back, so the Ctrl-C below is the one a terminal would send.
env "${env_args[@]}" PORT="$port" DJANGO_DB_PATH="$work/smoke.sqlite3" setsid python3 -c \
  'import os, signal; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp("make", ["make", "run"])' >"$log" 2>&1 &
make_pid=$!
pids+=($make_pid)
for _ in $(seq 1 600); do
  curl -fsS "$base/api/scenarios" -o /dev/null 2>/dev/null && break
  kill -0 $make_pid 2>/dev/null || fail "make run exited early"
  sleep 1
done
# Fetched whole, then searched: `curl | grep -q` fails under pipefail when grep stops reading early.
home=$(curl -fsS "$base/") || fail "the home page did not load"
grep -qi "<html" <<<"$home" || fail "the home page is not HTML"
n=$(curl -fsS "$base/api/scenarios" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" -gt 0 ] || fail "no scenarios served"
slug=$(curl -fsS "$base/api/scenarios" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["slug"])')

# A visitor's run of a scenario, as fast as possible, followed to its end.
jar="$work/cookies"
run=$(curl -fsS -c "$jar" -X POST -H 'Content-Type: application/json' -d '{"speed": "max"}' "$base/api/scenarios/$slug/runs") \
  || fail "could not start a run of $slug"
run_id=$(echo "$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
status=queued
for _ in $(seq 1 120); do
  status=$(curl -fsS -b "$jar" "$base/api/runs/$run_id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case $status in finished|failed|cancelled) break ;; esac
  sleep 1
done
[ "$status" = finished ] || fail "run $run_id of $slug ended $status"
events=$(curl -fsS -b "$jar" "$base/api/runs/$run_id/events?limit=5" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
[ "$events" -gt 0 ] || fail "run $run_id stored no events"

if [ "${SMOKE_REDIS:-0}" = 1 ]; then
  for _ in $(seq 1 10); do grep -q "execute_run.*succeeded" "$log" && break; sleep 1; done
  grep -q "execute_run.*succeeded" "$log" || fail "the run did not go through the Celery worker"
fi

# Stop it as Ctrl-C would, and check nothing is left behind.
kill -INT -- -"$make_pid"
for _ in $(seq 1 30); do pgrep -g "$make_pid" >/dev/null || break; sleep 1; done
if pgrep -g "$make_pid" >/dev/null; then
  ps -o pid,args -g "$make_pid" >&2
  fail "processes of make run were still alive 30 s after Ctrl-C"
fi
mode=$([ "${SMOKE_REDIS:-0}" = 1 ] && echo "with Redis and a Celery worker" || echo "on the embedded default")
echo "smoke ($mode): make run served the home page and $n scenarios, ran $slug to the end, and stopped cleanly: 1 passed, 0 failed"
