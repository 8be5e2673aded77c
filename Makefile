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
# Where `make run` keeps its policy copy, dev key, ledger and logs.
STATE ?= state

# The real agent CLIs the conformance tests drive, pinned, installed into the project (.tools/npm).
CODEX_VERSION := 0.169.0
NPM_PREFIX := $(ROOT)/.tools/npm
CODEX_BIN := $(NPM_PREFIX)/node_modules/.bin/codex
CLAUDE_VERSION := 2.1.197
CLAUDE_BIN := $(NPM_PREFIX)/node_modules/.bin/claude
GEMINI_VERSION := 0.61.0
GEMINI_BIN := $(NPM_PREFIX)/node_modules/.bin/gemini
OPENCODE_VERSION := 1.18.33
OPENCODE_BIN := $(NPM_PREFIX)/node_modules/.bin/opencode

SERVER_JAR := server/target/server-0.1.0-SNAPSHOT.jar
SIM_JAR := conformance-tests/target/conformance-tests-0.1.0-SNAPSHOT.jar
AOT_CACHE := server/target/tollgate.aot
SOURCES := $(shell find pom.xml */pom.xml */src/main -type f 2>/dev/null)

.PHONY: build run test bench clients browser redis proxy signing curl clean check-jdk

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
# for this checkout (their secrets live only in $(STATE)/, which Git ignores). The copy is made once:
# $(STATE)/policy is yours to edit (reloaded when a file changes) and survives restarts; each start only
# points the simulator's providers at SIM_PORT (and writes the dev key's and token's entries when
# they are new). SIGTERM or SIGINT (Ctrl-C) stops the gateway (it drains) and the simulator, and waits
# for both: the two run in the background so this shell sits in `wait`, where a trapped signal is
# handled at once (with a foreground child, bash holds the trap until that child exits, and nothing
# signals the child).
run: build
	@mkdir -p $(STATE) && if [ ! -d $(STATE)/policy ]; then cp -r policies-example-repo $(STATE)/policy; \
	  echo "Copied policies-example-repo to $(STATE)/policy: edit the policy there (kept across restarts)."; fi
	@sed -i -E 's#http://127\.0\.0\.1:[0-9]+/#http://127.0.0.1:$(SIM_PORT)/#' $(STATE)/policy/providers/sim.yaml
	@if [ ! -s $(STATE)/dev-key.txt ]; then \
	  bin/tollgate keys new --id dev --team platform 2>&1 >$(STATE)/dev-key.yaml | sed -n 's/^ *\(tg-[A-Za-z0-9_-]*\)$$/\1/p' >$(STATE)/dev-key.txt; \
	  bin/tollgate keys new --admin --id dev-admin --role operator 2>&1 >$(STATE)/dev-admin.yaml | sed -n 's/^ *\(tg-[A-Za-z0-9_-]*\)$$/\1/p' >$(STATE)/dev-admin-token.txt; \
	  rm -f $(STATE)/policy/teams/platform/dev-key.yaml $(STATE)/policy/dev-admin.yaml; \
	fi
	@[ -f $(STATE)/policy/teams/platform/dev-key.yaml ] || { echo "keys:"; cat $(STATE)/dev-key.yaml; } >$(STATE)/policy/teams/platform/dev-key.yaml
	@[ -f $(STATE)/policy/dev-admin.yaml ] || { echo "admins:"; cat $(STATE)/dev-admin.yaml; } >$(STATE)/policy/dev-admin.yaml
	@echo "Virtual key for this checkout ($(STATE)/dev-key.txt):          $$(cat $(STATE)/dev-key.txt)"
	@echo "Operator admin token ($(STATE)/dev-admin-token.txt):           $$(cat $(STATE)/dev-admin-token.txt)"
	@echo "Dashboard: http://127.0.0.1:$(PORT)/ui#token=$$(cat $(STATE)/dev-admin-token.txt)"
	@bin/provider-sim --port $(SIM_PORT) & sim=$$!; \
	bin/tollgate serve --port $(PORT) --policy $(STATE)/policy --state-dir $(STATE) & gateway=$$!; \
	trap 'kill -TERM $$gateway $$sim 2>/dev/null; wait $$gateway; wait $$sim; exit 0' INT TERM; \
	wait -n $$gateway $$sim; status=$$?; kill -TERM $$gateway $$sim 2>/dev/null; wait $$gateway; wait $$sim; exit $$status

clients: $(CODEX_BIN) $(CLAUDE_BIN) $(GEMINI_BIN) $(OPENCODE_BIN)

$(CODEX_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) @openai/codex@$(CODEX_VERSION)

$(CLAUDE_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) @anthropic-ai/claude-code@$(CLAUDE_VERSION)

$(GEMINI_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) @google/gemini-cli@$(GEMINI_VERSION)

$(OPENCODE_BIN):
	mkdir -p $(NPM_PREFIX)
	npm install --no-audit --no-fund --loglevel=error --prefix $(NPM_PREFIX) opencode-ai@$(OPENCODE_VERSION)

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

# Debian's gpg and ssh-keygen (and git) make the real signed commits of the signed-policy tests (temporary keys only).
signing:
	@command -v gpg >/dev/null && command -v gpgconf >/dev/null && command -v ssh-keygen >/dev/null && command -v git >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg openssh-client git >/dev/null; } || \
	  { echo "Install gpg, ssh-keygen and git for the signed-policy tests: apt-get install -y gnupg openssh-client git" >&2; exit 1; }

# Debian's curl (built with nghttp2) is one of the HTTP/2 clients of the listener's HTTP/2 test.
curl:
	@command -v curl >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; } || \
	  { echo "Install curl for the HTTP/2 test: apt-get install -y curl" >&2; exit 1; }

test: check-jdk clients browser redis proxy signing curl
	TOLLGATE_CODEX_BIN=$(CODEX_BIN) TOLLGATE_CLAUDE_BIN=$(CLAUDE_BIN) TOLLGATE_GEMINI_BIN=$(GEMINI_BIN) TOLLGATE_OPENCODE_BIN=$(OPENCODE_BIN) TOLLGATE_REQUIRE_BROWSER=1 \
	  TOLLGATE_REQUIRE_REDIS=1 TOLLGATE_REQUIRE_PROXY=1 TOLLGATE_REQUIRE_CURL=1 mvn -B verify

bench: build clients
	conformance-tests/bench/run.sh
	conformance-tests/bench/startup.sh

clean:
	$(MVN) clean
