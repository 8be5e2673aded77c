# Tollgate: `make run` serves the example policy on :8080 (with the provider simulator on :8089),
# `make test` runs every test, `make bench` measures the gateway against the simulator.
SHELL := /bin/bash
ROOT := $(abspath .)
JAVA_HOME := $(shell $(ROOT)/bin/find-jdk)
export JAVA_HOME
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
MVN := mvn -B -q
PORT ?= 8080
SIM_PORT ?= 8089

# The real agent CLIs the conformance tests drive, pinned, installed into the project (.tools/npm).
CODEX_VERSION := 0.169.0
NPM_PREFIX := $(ROOT)/.tools/npm
CODEX_BIN := $(NPM_PREFIX)/node_modules/.bin/codex
CLAUDE_VERSION := 2.1.197
CLAUDE_BIN := $(NPM_PREFIX)/node_modules/.bin/claude
GEMINI_VERSION := 0.61.0
GEMINI_BIN := $(NPM_PREFIX)/node_modules/.bin/gemini

SERVER_JAR := server/target/server-0.1.0-SNAPSHOT.jar
SIM_JAR := conformance-tests/target/conformance-tests-0.1.0-SNAPSHOT.jar
AOT_CACHE := server/target/tollgate.aot
SOURCES := $(shell find pom.xml */pom.xml */src/main -type f 2>/dev/null)

.PHONY: build run test bench clients browser redis proxy clean check-jdk

check-jdk:
	@test -n "$(JAVA_HOME)" || { echo "No JDK >= 21 found; see the message above." >&2; exit 1; }

build: check-jdk $(SERVER_JAR) $(SIM_JAR) $(AOT_CACHE)

$(SERVER_JAR) $(SIM_JAR) &: $(SOURCES)
	rm -rf server/target/lib conformance-tests/target/lib
	$(MVN) package -DskipTests
	@touch $(SERVER_JAR) $(SIM_JAR)

# A JDK AOT cache from one training run: the gateway starts in about half the time.
$(AOT_CACHE): $(SERVER_JAR)
	server/aot/train.sh

# `make run` serves a copy of the example policy plus a developer key and an operator token made
# for this checkout (their secrets live only in state/, which Git ignores).
run: build
	@mkdir -p state && rm -rf state/policy && cp -r policies-example-repo state/policy
	@if [ ! -s state/dev-key.txt ]; then \
	  bin/tollgate keys new --id dev --team platform 2>&1 >state/dev-key.yaml | sed -n 's/^ *\(tg-[A-Za-z0-9_-]*\)$$/\1/p' >state/dev-key.txt; \
	  bin/tollgate keys new --admin --id dev-admin --role operator 2>&1 >state/dev-admin.yaml | sed -n 's/^ *\(tg-[A-Za-z0-9_-]*\)$$/\1/p' >state/dev-admin-token.txt; \
	fi
	@{ echo "keys:"; cat state/dev-key.yaml; } >state/policy/teams/platform/dev-key.yaml
	@{ echo "admins:"; cat state/dev-admin.yaml; } >state/policy/dev-admin.yaml
	@echo "Virtual key for this checkout (state/dev-key.txt):          $$(cat state/dev-key.txt)"
	@echo "Operator admin token (state/dev-admin-token.txt):           $$(cat state/dev-admin-token.txt)"
	@bin/provider-sim --port $(SIM_PORT) & sim=$$!; \
	trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	bin/tollgate serve --port $(PORT) --policy state/policy --state-dir state

clients: $(CODEX_BIN) $(CLAUDE_BIN) $(GEMINI_BIN)

$(CODEX_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) @openai/codex@$(CODEX_VERSION)

$(CLAUDE_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) @anthropic-ai/claude-code@$(CLAUDE_VERSION)

$(GEMINI_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) @google/gemini-cli@$(GEMINI_VERSION)

# Debian's Chromium and ChromeDriver for the dashboard's browser test (installed when missing).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  { echo "Install Chromium for the dashboard test: apt-get install -y chromium chromium-driver" >&2; exit 1; }

# Debian's Redis for the tests of several nodes sharing state (each test starts its own redis-server).
redis:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } || \
	  { echo "Install Redis for the shared-state tests: apt-get install -y redis-server" >&2; exit 1; }

# Debian's tinyproxy, a real forward proxy doing CONNECT, for the egress proxy tests (each starts its own).
proxy:
	@command -v tinyproxy >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tinyproxy >/dev/null; } || \
	  { echo "Install tinyproxy for the egress proxy tests: apt-get install -y tinyproxy" >&2; exit 1; }

test: check-jdk clients browser redis proxy
	TOLLGATE_CODEX_BIN=$(CODEX_BIN) TOLLGATE_CLAUDE_BIN=$(CLAUDE_BIN) TOLLGATE_GEMINI_BIN=$(GEMINI_BIN) TOLLGATE_REQUIRE_BROWSER=1 \
	  TOLLGATE_REQUIRE_REDIS=1 TOLLGATE_REQUIRE_PROXY=1 mvn -B verify

bench: build clients
	conformance-tests/bench/run.sh
	conformance-tests/bench/startup.sh

clean:
	$(MVN) clean
