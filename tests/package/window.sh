#!/usr/bin/env bash
# Under Xvfb (run.sh starts it): the installed /usr/bin/cardfile opens its window on a new
# database, then closes when asked as a person's close button asks; then, started again by
# WebKitWebDriver, its page is Cardfile's own UI. Usage: window.sh TMPDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$1
db=$tmp/new.db
log=$tmp/cardfile.log
fail() {
	echo "package test FAILED: $*" >&2
	[ -s "$log" ] && { echo "--- cardfile's output:" >&2; cat "$log" >&2; }
	exit 1
}
step() { echo "package test: $*"; }

[ ! -e "$db" ] || fail "$db exists already"
start=$SECONDS
/usr/bin/cardfile --db "$db" >"$log" 2>&1 &
app=$!
trap 'kill -TERM $app 2>/dev/null || true' EXIT

until [ -f "$db" ]; do
	kill -0 $app 2>/dev/null || fail "cardfile exited before creating $db"
	[ $((SECONDS - start)) -lt 60 ] || fail "no $db after 60 s"
	sleep 0.2
done
# --onlyvisible: mapped and viewable, not just created. Searched again until found, not
# with --sync: a window that WebKit destroys while xdotool asks for its attributes ends that
# search with an X error (BadWindow), which says nothing about Cardfile's own window.
wid=
until wid=$(xdotool search --onlyvisible --name '^Cardfile$' 2>/dev/null | head -1) && [ -n "$wid" ]; do
	kill -0 $app 2>/dev/null || fail "cardfile exited before mapping its window"
	[ $((SECONDS - start)) -lt 60 ] || fail "no window named Cardfile was mapped within 60 s"
	sleep 0.2
done
kill -0 $app 2>/dev/null || fail "cardfile exited after mapping its window"
[ "$(xdotool getwindowpid "$wid" 2>/dev/null || true)" = "$app" ] \
	|| fail "the window named Cardfile ($wid) is not cardfile's (pid $app)"
step "window $wid named Cardfile mapped, $db created, after $((SECONDS - start)) s"
contacts=$(sqlite3 "$db" 'SELECT count(*) FROM contacts') \
	|| fail "$db is not a Cardfile database"
[ "$contacts" = 0 ] || fail "the new database holds $contacts contacts"

/usr/bin/python3 "$here/close_window.py" "$wid"
for _ in $(seq 100); do kill -0 $app 2>/dev/null || break; sleep 0.1; done
if kill -0 $app 2>/dev/null; then
	kill -TERM $app
	fail "cardfile was still running 10 s after its window was asked to close (stopped with SIGTERM)"
fi
code=0; wait $app || code=$?
trap - EXIT
[ $code = 0 ] || fail "cardfile exited $code after its window closed"
step "closed: cardfile exited 0"

/usr/bin/python3 "$here/page_text.py" /usr/bin/cardfile "Try it with sample contacts" --db "$db" >"$tmp/page.txt" \
	|| fail "the installed binary's page is not Cardfile's UI"
step "the page is Cardfile's UI: $(head -1 "$tmp/page.txt") $(grep -c . "$tmp/page.txt") lines, 'Try it with sample contacts' among them"
