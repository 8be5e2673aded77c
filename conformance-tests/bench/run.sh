#!/usr/bin/env bash
# make bench: start the provider simulator and the gateway on free 127.0.0.1 ports, run
# dev.tollgate.bench.BenchRun against both, write conformance-tests/bench/results/latest.{md,json},
# and stop exactly the processes started here.
#
# Exits 0 when the bench ran (even if a target was missed: it reports, it is not a test),
# non-zero when it could not run.
#
# Options are passed to BenchRun, e.g. --quick (a ~40 s smoke run) or --header 'Authorization: Bearer K'.
# Environment:
#   JAVA                 java >= 21 to run the load generator (else JAVA_HOME, PATH, /usr/lib/jvm are searched)
#   TOLLGATE_JAVA_OPTS   JVM flags for the gateway (bin/tollgate reads it)
#   TOLLGATE_BIN, PROVIDER_SIM_BIN   override bin/tollgate and bin/provider-sim
#   BENCH_CLASSPATH      override the class path (default: conformance-tests/target/classes and target/lib)
#   BENCH_JAVA_OPTS      extra JVM flags for the load generator (e.g. -Xlog:gc)
#   BENCH_QUICK=1        same as --quick
#   BENCH_TRACING=on     the gateway exports OpenTelemetry spans (every request sampled) to the simulator's
#                        OTLP sink (/_sim/otlp/v1/traces), to measure what tracing costs
#   BENCH_TLS=off        skip the HTTPS leg: a second simulator serving TLS (a throw-away self-signed certificate
#                        made with openssl), reached through the same gateway by model sim-tls/bench, so the
#                        report shows what TLS to the upstream costs on the hot path
#   BENCH_RELAY=off      skip the bare relay (dev.tollgate.bench.BareRelay), the floor under any proxy on this stack
#   BENCH_GOVERNANCE=off serve policy-open.yaml (no keys: no auth, limits, budgets or ledger) instead of
#                        policy-template.yaml (a key with limits and budgets at every level; its secret is sent)
#   BENCH_PROFILE=on     sample the gateway's and the relay's CPU with async-profiler in each of their measured
#                        windows: the report says where it went (kernel, scheduler, threads, frames) and keeps the
#                        collapsed stacks in results/profiles/ (not committed); sampling costs the proxies
#                        CPU (compare results/profiled.md with latest.md), so take targets from unprofiled runs
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR="$ROOT/conformance-tests/bench"
RESULTS_DIR="$BENCH_DIR/results"
TOLLGATE_BIN=${TOLLGATE_BIN:-$ROOT/bin/tollgate}
PROVIDER_SIM_BIN=${PROVIDER_SIM_BIN:-$ROOT/bin/provider-sim}

die() { echo "bench: $*" >&2; exit 1; }

java_major() { # prints the feature version of a java binary, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9.]*\).*/\1/p' | sed 's/^1\.//'
}

find_java() {
  local candidates=()
  [ -n "${JAVA:-}" ] && candidates+=("$JAVA")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for j in /usr/lib/jvm/*/bin/java; do [ -x "$j" ] && candidates+=("$j"); done
  for j in "${candidates[@]}"; do
    local v; v=$(java_major "$j" || true)
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$j"; return 0; fi
  done
  return 1
}

JAVA_BIN=$(find_java) || die "no JDK >= 21 found. Install one (e.g. Temurin 21 or 25) and set JAVA or JAVA_HOME."

CP=${BENCH_CLASSPATH:-"$ROOT/conformance-tests/target/classes:$ROOT/conformance-tests/target/lib/*"}
if [ -z "${BENCH_CLASSPATH:-}" ] && [ ! -f "$ROOT/conformance-tests/target/classes/dev/tollgate/bench/BenchRun.class" ]; then
  die "the bench is not built: run 'make bench' (it builds first) or 'mvn -DskipTests package' in $ROOT"
fi
[ -x "$PROVIDER_SIM_BIN" ] || die "$PROVIDER_SIM_BIN not found or not executable (build the project first)"
[ -x "$TOLLGATE_BIN" ] || die "$TOLLGATE_BIN not found or not executable (build the project first)"

free_port() { # a random port nobody listens on, below Linux's ephemeral range (32768-60999) so that no
  # client socket of an earlier run can hold it; the race with other programs is acceptable here
  local port
  for _ in $(seq 100); do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
SIM_PID=""
GW_PID=""
RELAY_PID=""
TLS_SIM_PID=""

stop() { # stop one started process and its process group (setsid made it the leader), by PID
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop "$RELAY_PID"
  stop "$TLS_SIM_PID"
  stop "$GW_PID"
  stop "$SIM_PID"
  mkdir -p "$RESULTS_DIR"
  cp "$TMP/gateway.log" "$RESULTS_DIR/gateway.log" 2>/dev/null || true
  cp "$TMP/sim.log" "$RESULTS_DIR/sim.log" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    for log in gateway sim relay tls-sim; do
      if [ -s "$TMP/$log.log" ]; then
        echo "---- last lines of the $log log ($RESULTS_DIR/$log.log) ----" >&2
        tail -n 30 "$TMP/$log.log" >&2
      fi
    done
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SIM_PORT=$(free_port) || die "no free port"
GW_PORT=$(free_port) || die "no free port"
while [ "$GW_PORT" = "$SIM_PORT" ]; do GW_PORT=$(free_port); done
RELAY_PORT=$(free_port) || die "no free port"
while [ "$RELAY_PORT" = "$SIM_PORT" ] || [ "$RELAY_PORT" = "$GW_PORT" ]; do RELAY_PORT=$(free_port); done
TLS_SIM_PORT=$(free_port) || die "no free port"
while [ "$TLS_SIM_PORT" = "$SIM_PORT" ] || [ "$TLS_SIM_PORT" = "$GW_PORT" ] || [ "$TLS_SIM_PORT" = "$RELAY_PORT" ]; do TLS_SIM_PORT=$(free_port); done

mkdir -p "$TMP/policy" "$TMP/state"
POLICY_TEMPLATE="$BENCH_DIR/policy-template.yaml"
[ "${BENCH_GOVERNANCE:-on}" = "off" ] && POLICY_TEMPLATE="$BENCH_DIR/policy-open.yaml"
sed "s/@SIM_PORT@/$SIM_PORT/g" "$POLICY_TEMPLATE" > "$TMP/policy/providers.yaml"
if [ "${BENCH_TLS:-on}" != "off" ]; then
  command -v openssl >/dev/null 2>&1 || die "BENCH_TLS needs openssl to make the simulator's certificate (or set BENCH_TLS=off)"
  # Self-signed for 127.0.0.1: the gateway trusts exactly it through the provider's ca_bundle.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/tls-sim.key.pem" -out "$TMP/tls-sim.crt.pem" 2>"$TMP/openssl.log" \
    || die "openssl could not make the simulator's certificate: $(cat "$TMP/openssl.log")"
  # A second policy file: the HTTPS provider and its model (the price of upstream model "bench" covers it).
  cat > "$TMP/policy/tls.yaml" <<EOF
providers:
  - {id: sim-tls, kind: openai-compatible, base_url: "https://127.0.0.1:$TLS_SIM_PORT/v1", tls: {ca_bundle: "$TMP/tls-sim.crt.pem"}}
models:
  - {name: sim-tls/bench, targets: [{provider: sim-tls, model: bench}]}
EOF
fi

if [ "${BENCH_TRACING:-off}" = "on" ]; then
  export TOLLGATE_OTEL_ENABLED=true TOLLGATE_OTEL_SAMPLING=1.0
  export TOLLGATE_OTEL_ENDPOINT="http://127.0.0.1:$SIM_PORT/_sim/otlp/v1/traces"
fi

# setsid: each server leads its own process group, so stopping it also stops a JVM its launcher forked.
echo "bench: starting the simulator on 127.0.0.1:$SIM_PORT and the gateway on 127.0.0.1:$GW_PORT" >&2
setsid "$PROVIDER_SIM_BIN" --port "$SIM_PORT" > "$TMP/sim.log" 2>&1 &
SIM_PID=$!
if [ "${BENCH_TLS:-on}" != "off" ]; then
  setsid "$PROVIDER_SIM_BIN" --port "$TLS_SIM_PORT" --tls-cert "$TMP/tls-sim.crt.pem" --tls-key "$TMP/tls-sim.key.pem" > "$TMP/tls-sim.log" 2>&1 &
  TLS_SIM_PID=$!
fi
# Each proxy logs its collector's pauses, so that the report can tell a tail that was the collector's.
gc_log_flag() { echo "-Xlog:gc:file=$TMP/$1-gc.log:timemillis:filecount=0"; }
TOLLGATE_JAVA_OPTS="${TOLLGATE_JAVA_OPTS:-} $(gc_log_flag gateway)" \
  setsid "$TOLLGATE_BIN" serve --port "$GW_PORT" --policy "$TMP/policy" --state-dir "$TMP/state" > "$TMP/gateway.log" 2>&1 &
GW_PID=$!
if [ "${BENCH_RELAY:-on}" != "off" ]; then
  # The gateway's JVM and options, so that the relay is the floor under the gateway and nothing else.
  GW_JAVA_HOME=$("$ROOT/bin/find-jdk")
  # shellcheck source=../../bin/jvm-options.sh
  . "$ROOT/bin/jvm-options.sh"
  setsid "$GW_JAVA_HOME/bin/java" "${jvm_options[@]}" "$(gc_log_flag relay)" -cp "$CP" dev.tollgate.bench.BareRelay \
    --port "$RELAY_PORT" --upstream "http://127.0.0.1:$SIM_PORT" > "$TMP/relay.log" 2>&1 &
  RELAY_PID=$!
fi

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$ROOT" diff --quiet HEAD 2>/dev/null; then COMMIT="$COMMIT-dirty"; fi

ARGS=(--sim-url "http://127.0.0.1:$SIM_PORT" --sim-pid "$SIM_PID"
      --gateway-url "http://127.0.0.1:$GW_PORT" --gateway-pid "$GW_PID"
      --clk-tck "$(getconf CLK_TCK)" --out-dir "$RESULTS_DIR" --commit "$COMMIT"
      --gateway-gc-log "$TMP/gateway-gc.log")
[ "${BENCH_QUICK:-0}" = "1" ] && ARGS+=(--quick)
if [ "${BENCH_PROFILE:-off}" = "on" ]; then
  case "$(uname -m)" in x86_64) arch=linux-x64 ;; aarch64) arch=linux-arm64 ;; *) die "BENCH_PROFILE=on: no async-profiler build for $(uname -m)" ;; esac
  PROFILER_JAR="$ROOT/conformance-tests/target/profiler/async-profiler.jar"
  [ -f "$PROFILER_JAR" ] || die "BENCH_PROFILE=on needs $PROFILER_JAR (make build puts it there)"
  (cd "$TMP" && "$(dirname "$JAVA_BIN")/jar" xf "$PROFILER_JAR" "$arch/libasyncProfiler.so") \
    || die "cannot unpack $arch/libasyncProfiler.so from $PROFILER_JAR"
  ARGS+=(--profiler-lib "$TMP/$arch/libasyncProfiler.so")
fi
if [ -n "$TLS_SIM_PID" ]; then
  # BenchRun probes the plain simulator only: wait here until the HTTPS one listens.
  for _ in $(seq 1200); do (exec 3<>"/dev/tcp/127.0.0.1/$TLS_SIM_PORT") 2>/dev/null && break; sleep 0.1; done
  kill -0 "$TLS_SIM_PID" 2>/dev/null || die "the HTTPS simulator exited before it listened; see its log"
  ARGS+=(--tls-model sim-tls/bench --tls-sim-pid "$TLS_SIM_PID")
fi
[ -n "$RELAY_PID" ] && ARGS+=(--relay-url "http://127.0.0.1:$RELAY_PORT" --relay-pid "$RELAY_PID" --relay-gc-log "$TMP/relay-gc.log")
[ "${BENCH_GOVERNANCE:-on}" = "off" ] || ARGS+=(--header "Authorization: Bearer tg-bench-key")

# The generator shares the CPUs with what it measures: one GC thread, a small fixed heap.
"$JAVA_BIN" -XX:+UseSerialGC -Xms128m -Xmx512m ${BENCH_JAVA_OPTS:-} -cp "$CP" dev.tollgate.bench.BenchRun "${ARGS[@]}" "$@"
# The translation case (issue 5): a Responses client on an Anthropic upstream against the same client passed through.
"$JAVA_BIN" -XX:+UseSerialGC -Xms128m -Xmx512m ${BENCH_JAVA_OPTS:-} -cp "$CP" dev.tollgate.bench.TranslationBench "${ARGS[@]}" "$@"
