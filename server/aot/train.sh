#!/usr/bin/env bash
# Builds server/target/tollgate.aot, a JDK AOT cache that halves the gateway's start-up (JDK 25+).
# One training run: start the gateway with -XX:AOTCacheOutput, send it typical requests, stop it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
java="$JAVA_HOME/bin/java"
out="$root/server/target/tollgate.aot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The probe writes a cache of its own, so into a scratch file: given /dev/null, the JVM deletes it
# and writes a regular file in its place (as root that breaks apt and everything else after).
if ! "$java" -XX:AOTCacheOutput="$work/probe.aot" -version >/dev/null 2>&1; then
  echo "AOT cache skipped: $java has no -XX:AOTCacheOutput (needs JDK 25+)"; exit 0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/policy"
sed "s/TRAIN_PORT/$port/" "$root/server/aot/policy.yaml" > "$work/policy/policy.yaml"
rm -f "$out"
TOLLGATE_AOT_TRAIN="$out" "$root/bin/tollgate" serve --port "$port" --policy "$work/policy" --state-dir "$work/state" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready" && break; sleep 0.05; done
base="http://127.0.0.1:$port/v1"
for _ in 1 2 3; do
  curl -s -o /dev/null "$base/models"
  curl -s -o /dev/null -XPOST "$base/chat/completions" -d '{"model":"self/x","messages":[{"role":"user","content":"hi"}]}'
  curl -s -o /dev/null -XPOST "$base/chat/completions" -d '{"model":"self/x","stream":true,"messages":[]}'
  curl -s -o /dev/null -XPOST "$base/responses" -d '{"model":"self/x","stream":true,"input":"hi"}'
  curl -s -o /dev/null -XPOST "$base/chat/completions" -d '{"model":"x","messages":[}'
done
kill "$pid"
wait "$pid" || true
[ -s "$out" ] && echo "AOT cache written: $out" || { echo "AOT cache not written; see the log:"; cat "$work/log"; }
