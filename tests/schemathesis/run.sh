#!/usr/bin/env bash
# Schemathesis against the local API's own /openapi.json (issue 13): `cardfile serve` on a
# throwaway database, in a throwaway session bus with an unlocked keyring (the tokens live
# there), for a bounded number of generated requests per operation. It passes when no
# response is a 5xx and every response matches the document (status, content type, body
# schema, headers). Schemathesis is pinned and lives in a venv: Debian's pip refuses system
# installs, and its 3.x and 4.x command lines differ.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-40}
target=${CARGO_TARGET_DIR:-target}
venv="$target/schemathesis-venv"
bin="$target/debug/cardfile"

if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build -q -p cardfile

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/run"
chmod 700 "$work/run"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

export WORK="$work" HOME="$work/home" XDG_RUNTIME_DIR="$work/run" BIN="$(realpath "$bin")" DB="$work/api.db" PORT="$port" \
    ST="$(realpath "$venv")/bin/schemathesis" EXAMPLES
unset DBUS_SESSION_BUS_ADDRESS
dbus-run-session -- bash -euo pipefail -c '
    printf %s unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    "$BIN" --db "$DB" sample >/dev/null
    token=$("$BIN" --db "$DB" api token | python3 -c "import json, sys; print(json.load(sys.stdin)[\"token\"])")
    "$BIN" --db "$DB" serve --port "$PORT" >/dev/null &
    server=$!
    trap "kill $server 2>/dev/null || true" EXIT
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
        sleep 0.1
    done
    # Schemathesis keeps its notes (.schemathesis/) where it runs: the throwaway folder.
    cd "$WORK"
    "$ST" run "http://127.0.0.1:$PORT/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
        --max-examples "$EXAMPLES" --seed 1 --generation-deterministic \
        --no-color
'

# The README's local API example, run as written (the binary on PATH, a fresh default
# database under this HOME), must create Ann and find her.
example=$(awk '/<!-- the local API example/ {on = 1; next} on && /^```sh/ {inside = 1; next} inside && /^```/ {exit} inside {print}' README.md)
[ -n "$example" ] || { echo "the README's local API example is missing"; exit 1; }
export PATH="$(dirname "$BIN"):$PATH" EXAMPLE="$example"
out=$(dbus-run-session -- bash -euo pipefail -c '
    printf %s unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    eval "$EXAMPLE"
' 2>/dev/null)
echo "$out"
grep -q '"object":"list"' <<<"$out" && grep -q '"email":"ann@example.com"' <<<"$out" \
    || { echo "the README's local API example did not create and find Ann"; exit 1; }
echo "the README's local API example works as written"
