#!/usr/bin/env bash
# The bench's load generator on its own, e.g.
#   conformance-tests/bench/loadgen.sh --url http://127.0.0.1:8080/v1/chat/completions --rate 2000 --duration 20
#   conformance-tests/bench/loadgen.sh --url http://127.0.0.1:8080/v1/chat/completions --max --connections 64
#   conformance-tests/bench/loadgen.sh --url http://127.0.0.1:8080/v1/chat/completions --rate 200 --stream
# Run with --help for all options. Needs a build (make build) and a JDK >= 21 (JAVA, JAVA_HOME or bin/find-jdk).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -n "${JAVA:-}" ]; then
  JAVA_BIN=$JAVA
else
  JAVA_BIN="$("$ROOT/bin/find-jdk")/bin/java"
fi
CP=${BENCH_CLASSPATH:-"$ROOT/conformance-tests/target/classes:$ROOT/conformance-tests/target/lib/*"}
exec "$JAVA_BIN" -XX:+UseSerialGC -Xms64m -Xmx256m -cp "$CP" dev.tollgate.bench.LoadGen "$@"
