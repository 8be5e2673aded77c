#!/usr/bin/env bash
# Start-up and Codex figures for `make bench`, written to conformance-tests/bench/results/startup.md:
#  - gateway start to the first answered proxied request (bin/tollgate serve -> simulator), 5 runs;
#  - `codex exec` with Codex's built-in provider at the gateway (it tries the Responses WebSocket
#    transport first; the gateway must make it fall back to HTTP at once), 3 runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/conformance-tests/bench/results/startup.md"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

sim_port=$(free_port)
"$root/bin/provider-sim" --port "$sim_port" >"$work/sim.log" 2>&1 &
pids+=($!)
until curl -sf -o /dev/null "http://127.0.0.1:$sim_port/v1/models"; do sleep 0.05; done
mkdir -p "$work/policy"
cat >"$work/policy/policy.yaml" <<YAML
providers:
  - {id: sim, kind: openai-compatible, base_url: "http://127.0.0.1:$sim_port/v1"}
models:
  - name: gpt-5.5
    targets: [{provider: sim, model: gpt-5.5}]
YAML
body='{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}]}'

starts=()
for _ in 1 2 3 4 5; do
  port=$(free_port)
  t0=$(now_ms)
  "$root/bin/tollgate" serve --port "$port" --policy "$work/policy" --state-dir "$work/state" >"$work/gw.log" 2>&1 &
  gw=$!
  until curl -sf -o /dev/null -XPOST "http://127.0.0.1:$port/v1/chat/completions" -d "$body"; do sleep 0.005; done
  starts+=($(( $(now_ms) - t0 )))
  kill "$gw"; wait "$gw" 2>/dev/null || true
done

codex="$root/.tools/npm/node_modules/.bin/codex"
codex_runs=()
if [ -x "$codex" ]; then
  port=$(free_port)
  "$root/bin/tollgate" serve --port "$port" --policy "$work/policy" --state-dir "$work/state" >"$work/gw.log" 2>&1 &
  pids+=($!)
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready"; do sleep 0.05; done
  for i in 1 2 3; do
    home="$work/codex-$i"; mkdir -p "$home/.codex" "$home/tmp"
    t0=$(now_ms)
    HOME="$home" TMPDIR="$home/tmp" CODEX_HOME="$home/.codex" CODEX_API_KEY=bench \
      "$codex" exec --skip-git-repo-check --ephemeral -m gpt-5.5 -c "openai_base_url=\"http://127.0.0.1:$port/openai\"" \
      -c analytics.enabled=false --disable plugins --disable apps "say hi" </dev/null >"$home/out" 2>&1
    codex_runs+=($(( $(now_ms) - t0 )))
  done
fi

start_median=$(printf '%s\n' "${starts[@]}" | median)
{
  echo "# Start-up and Codex built-in provider"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) · commit \`$(git -C "$root" rev-parse --short HEAD)\` · $(nproc) CPUs"
  echo
  echo "| measure | runs (ms) | median | target |"
  echo "|---|---|--:|---|"
  echo "| \`bin/tollgate serve\` to the first proxied answer | ${starts[*]} | $start_median ms | < 1,500 ms |"
  if [ ${#codex_runs[@]} -gt 0 ]; then
    echo "| \`codex exec\`, built-in provider, \`openai_base_url\` at the gateway (with its tool round trip) | ${codex_runs[*]} | $(printf '%s\n' "${codex_runs[@]}" | median) ms | < 1,500 ms |"
  else
    echo "| \`codex exec\` built-in provider | not run: Codex CLI not installed (make clients) | | |"
  fi
} | tee "$out"
