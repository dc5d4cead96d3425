# Cardfile's two README commands, `make run` and `make test`, and the steps they share.
# Works on a new Debian/Ubuntu machine: missing system and npm packages are installed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND := noninteractive
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN):$(PATH)

APT_PACKAGES := build-essential pkg-config curl wget file libwebkit2gtk-4.1-dev libxdo-dev \
	libssl-dev libayatana-appindicator3-dev librsvg2-dev \
	xvfb xauth webkit2gtk-driver sqlite3 python3-aiosmtpd openssl libdbus-1-dev dbus gnome-keyring libsecret-tools \
	xdotool python3-gi gir1.2-gtk-3.0 python3-venv
NODE_MIN := 20.19.0
RUST_MIN := 1.89.0
XVFB := xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: run demo test build package package-test bench deps apt toolchains ui-deps ui bindings openapi lint tauri-driver clean

run: deps ui
	cargo run -p cardfile

# The window on a throwaway database in a temporary folder, already holding the sample
# contacts (`cardfile sample`); the folder is removed when the window closes.
demo: deps ui
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cargo run -q -p cardfile -- --db "$$tmp/demo.db" sample; \
	cargo run -q -p cardfile -- --db "$$tmp/demo.db"

build: deps ui
	cargo build --release -p cardfile
	@echo "built $${CARGO_TARGET_DIR:-target}/release/cardfile"

# The packages, by `tauri build` (the CLI from ui/'s npm packages): always the .deb, and the
# AppImage too when linuxdeploy and its plugins are in tauri's tool folder (else tauri would
# download them from GitHub, which these machines cannot reach; one on PATH is copied there).
# Both are copied under lowercase names to PACKAGE_DIR: target/package (or $CARGO_TARGET_DIR/package).
TAURI := $(CURDIR)/ui/node_modules/.bin/tauri
TAURI_TOOLS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tauri
PACKAGE_DIR = $(shell cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/package
APP_VERSION = $(shell cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "cardfile"))')

package: deps ui
	@arch=$$(uname -m); debarch=$$(dpkg --print-architecture); version="$(APP_VERSION)"; out="$(PACKAGE_DIR)"; \
	missing=; mkdir -p "$(TAURI_TOOLS)"; \
	for tool in AppRun-$$arch linuxdeploy-$$arch.AppImage linuxdeploy-plugin-gtk.sh linuxdeploy-plugin-gstreamer.sh; do \
		[ -x "$(TAURI_TOOLS)/$$tool" ] && continue; \
		found=$$(command -v "$$tool" || command -v "$${tool%.*}" || { [ "$$tool" = linuxdeploy-$$arch.AppImage ] && command -v linuxdeploy; } || true); \
		if [ -n "$$found" ]; then cp "$$found" "$(TAURI_TOOLS)/$$tool"; else missing="$$missing $$tool"; fi; \
	done; \
	if [ -z "$$missing" ]; then bundles=deb,appimage; else bundles=deb; \
		echo "make package: NO AppImage: tauri needs linuxdeploy and its plugins, missing from $(TAURI_TOOLS):$$missing"; \
		echo "make package: tauri would download them from GitHub, which this machine cannot reach; put them there (or linuxdeploy on PATH) for an AppImage. Building the .deb only."; \
	fi; \
	(cd src-tauri && $(TAURI) build --ci --bundles $$bundles); \
	bundle="$${out%/package}/release/bundle"; rm -rf "$$out"; mkdir -p "$$out"; \
	cp "$$bundle/deb/Cardfile_$${version}_$$debarch.deb" "$$out/cardfile_$${version}_$$debarch.deb"; \
	if [ "$$bundles" = deb,appimage ]; then cp "$$bundle/appimage/Cardfile_$${version}_$$debarch.AppImage" "$$out/cardfile_$${version}_$$debarch.AppImage"; fi; \
	echo "make package: in $$out:"; ls -l "$$out"; \
	[ -z "$$missing" ] || echo "make package: no AppImage (linuxdeploy missing, see above); the .deb is complete."

# The .deb installed as a person would (apt-get install ./cardfile_*.deb), then the
# installed /usr/bin/cardfile: --version, and its window opening on a new database under Xvfb.
package-test: package
	bash tests/package/run.sh "$(PACKAGE_DIR)"

bench: deps ui tauri-driver
	cargo bench -p cardfile-core --bench foundation
	cargo bench -p cardfile-core --bench import
	cargo bench -p cardfile-core --bench api
	$(XVFB) cargo bench -p cardfile --bench typeahead

# Everything CI runs (.ci/run calls this). The window tests need the app built with
# `test-dialog` (their stand-in for the native file dialogs), which no release build has.
# Last, package-test: the release .deb built, installed with apt, and its window opened.
test: deps ui bindings openapi lint tauri-driver
	cargo test -p cardfile-core
	cargo test -p cardfile --bin cardfile --test cli --test api
	cargo test -p cardfile --test crash
	$(MAKE) --no-print-directory fuzz
	bash tests/schemathesis/run.sh
	$(XVFB) cargo test -p cardfile --features test-dialog --test window -- --test-threads=1
	$(MAKE) --no-print-directory package-test

.PHONY: crash-trials fuzz

# Crash trials (tests/crash): the real binary killed with SIGKILL at random moments of an
# import, edits, an undo and dispatch: `cargo test -p cardfile --test crash` is the short
# form `make test` runs; this is the long one, 100 trials per scenario.
crash-trials: deps ui
	CARDFILE_CRASH_TRIALS=100 cargo test -p cardfile --test crash -- --nocapture --test-threads=1

# Coverage-guided fuzzing of the import's readers with AFL++ (fuzz/, tests/fuzz/run.sh):
# each target runs FUZZ_SECONDS (default 60); an input that crashes or hangs one fails it.
# `make test` runs it.
fuzz:
	bash tests/fuzz/run.sh

deps: apt toolchains ui-deps

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -q; \
		$(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

toolchains:
	@command -v cargo >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs), version $(RUST_MIN) or newer"; exit 1; }
	@have=$$(rustc --version | cut -d' ' -f2); \
	[ "$$(printf '%s\n' $(RUST_MIN) $$have | sort -V | head -1)" = $(RUST_MIN) ] || { echo "Rust $$have is too old: run 'rustup update' (need $(RUST_MIN)+)"; exit 1; }
	@command -v node >/dev/null || { echo "Node.js is missing: install Node $(NODE_MIN)+ (for example from NodeSource or with nvm); Debian's nodejs 18 is too old"; exit 1; }
	@have=$$(node --version | tr -d v); \
	[ "$$(printf '%s\n' $(NODE_MIN) $$have | sort -V | head -1)" = $(NODE_MIN) ] || { echo "Node $$have is too old for Vite: install Node $(NODE_MIN)+ (for example with nvm)"; exit 1; }

ui-deps:
	@if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then npm --prefix ui ci --no-audit --no-fund; fi

# The UI is type-checked and built before any cargo step: the app embeds ui/dist. It is
# rebuilt only when something it is built from is newer than ui/dist/index.html; otherwise
# ui/dist is left alone, so cargo sees nothing new and does not recompile the app.
UI_INPUTS := $(shell find ui/src) ui/index.html ui/package.json ui/package-lock.json \
	ui/tsconfig.json ui/vite.config.ts

ui: ui/dist/index.html

ui/dist/index.html: $(UI_INPUTS) | ui-deps
	npm --prefix ui run build
	@touch $@

# Regenerates ui/src/bindings.ts from the Rust commands; fails when the committed file was stale.
bindings:
	cargo test -p cardfile --bin cardfile typescript_bindings
	git diff --exit-code -- ui/src/bindings.ts || { echo "ui/src/bindings.ts was stale: commit the regenerated file"; exit 1; }
	npm --prefix ui run typecheck

# Regenerates docs/openapi.json (the local API's document) from the handlers' Rust types;
# fails when the committed file was stale.
openapi:
	cargo test -p cardfile-core --lib openapi_document
	git ls-files --error-unmatch docs/openapi.json >/dev/null 2>&1 || { echo "docs/openapi.json is not committed"; exit 1; }
	git diff --exit-code -- docs/openapi.json || { echo "docs/openapi.json was stale: commit the regenerated file"; exit 1; }

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features cardfile/test-dialog -- -D warnings
	@if cargo tree -p cardfile-core -e normal,build -i tauri 2>/dev/null | grep -q tauri; then echo "cardfile-core depends on tauri"; exit 1; fi
	@echo "cardfile-core does not depend on tauri"

tauri-driver:
	@command -v tauri-driver >/dev/null || cargo install tauri-driver --version 2.1.0 --locked

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules
