#!/usr/bin/env bash
# Starts `make run` on the embedded default, waits for the port, fetches the
# home page and the scenario list, and stops it. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${SMOKE_PORT:-8765}
log=$(mktemp)
env -u DATABASE_URL -u REDIS_URL PORT=$port DJANGO_DB_PATH="$(mktemp -d)/smoke.sqlite3" setsid make run >"$log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/" -o /dev/null 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "make run exited early" >&2; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/" | grep -qi "<html" || { cat "$log"; echo "home page failed" >&2; exit 1; }
n=$(curl -fsS "http://127.0.0.1:$port/api/scenarios" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" -gt 0 ] || { echo "no scenarios served" >&2; exit 1; }
echo "smoke: make run served the home page and $n scenarios: 1 passed, 0 failed"
