#!/usr/bin/env bash
# The package as a person gets it: the .deb that `make package` built, installed with apt;
# then the installed /usr/bin/cardfile: its files, --version, and its window opening on a new
# database under Xvfb (window.sh). Leaves Cardfile installed. Usage: run.sh PACKAGE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "${1:?usage: tests/package/run.sh PACKAGE_DIR}" && pwd)
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

fail() { echo "package test FAILED: $*" >&2; exit 1; }
step() { echo "package test: $*"; }

shopt -s nullglob
debs=("$dir"/cardfile_*.deb)
[ ${#debs[@]} = 1 ] || fail "expected one cardfile_*.deb in $dir, found ${#debs[@]}"
deb=$(basename "${debs[0]}")

step "installing $deb"
# --reinstall: a rebuilt package of the same version still replaces the installed one.
(cd "$dir" && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
	-o DPkg::Lock::Timeout=300 "./$deb")

version=$(dpkg-query -W -f='${Version}' cardfile) || fail "package cardfile is not installed"
step "installed cardfile $version"
[[ $deb == "cardfile_${version}_"*.deb ]] || fail "$deb does not carry the installed version $version"

for f in /usr/bin/cardfile /usr/share/applications/Cardfile.desktop \
	/usr/share/icons/hicolor/32x32/apps/cardfile.png /usr/share/icons/hicolor/128x128/apps/cardfile.png; do
	dpkg -S "$f" >/dev/null 2>&1 && [ -e "$f" ] || fail "$f is not installed by the package"
done
desktop=/usr/share/applications/Cardfile.desktop
for line in Type=Application Name=Cardfile Exec=cardfile Icon=cardfile; do
	grep -qx "$line" "$desktop" || fail "$desktop lacks '$line':"$'\n'"$(cat "$desktop")"
done
[ "$(command -v cardfile)" = /usr/bin/cardfile ] || step "note: 'cardfile' on PATH is $(command -v cardfile), not /usr/bin/cardfile"

got=$(/usr/bin/cardfile --version) || fail "/usr/bin/cardfile --version exited $?"
[ "$got" = "cardfile $version" ] || fail "/usr/bin/cardfile --version printed '$got', expected 'cardfile $version'"
step "/usr/bin/cardfile --version: $got"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
# A throwaway HOME and nothing of the caller's XDG folders: whatever the window writes
# (WebKit's caches, say) stays in $tmp.
env -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_DATA_HOME -u XDG_STATE_HOME -u CARDFILE_DB \
	HOME="$tmp/home" xvfb-run -a -s "-screen 0 1280x800x24" bash "$here/window.sh" "$tmp" \
	|| fail "the installed window (above)"
step "passed: the .deb installs /usr/bin/cardfile, its desktop entry and icons; --version; the window on a new database; its own UI"
