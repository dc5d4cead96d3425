#!/usr/bin/env bash
# Coverage-guided fuzzing of the import's readers with AFL++ on stable Rust (fuzz/): builds
# the instrumented targets (csv, mapping, vcard), runs each for FUZZ_SECONDS (default 60)
# from the seed corpus (the import fixtures; the mapping gets their header lines), and
# prints each target's executions (FUZZ_KEEP=DIR keeps the corpora it grew). Any input
# that crashes or hangs a target is copied to fuzz/found/<target>/ and fails the run: it
# becomes a regression test (src-tauri/core/tests/fixtures/fuzzed/) once its bug is fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
fixtures=$root/src-tauri/core/tests/fixtures/import

# cargo-afl from crates.io; installing it builds AFL++ from the source it ships.
if ! cargo afl --version >/dev/null 2>&1; then
	cargo install cargo-afl --version 0.18.2 --locked
fi
# The instrumented build is of core and all its dependencies: without optimisation it takes
# a third of the time and still runs thousands of inputs a second.
(cd fuzz && AFL_OPT_LEVEL=${AFL_OPT_LEVEL:-0} cargo afl build --release --locked)
bin=$(cd fuzz && cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/seeds/csv" "$work/seeds/mapping" "$work/seeds/vcard" "$work/out"
cp "$fixtures"/* "$work/seeds/csv/"
cp "$root"/tests/fuzz/seeds/vcard/* "$fixtures"/*.vcf "$work/seeds/vcard/"
for f in "$fixtures"/*.csv; do
	# A header and its first rows, cells split at tabs as the mapping target reads them.
	head -c 4000 "$f" | tr ',;|' '\t\t\t' >"$work/seeds/mapping/$(basename "$f")"
done
cp "$root"/tests/fuzz/seeds/mapping/* "$work/seeds/mapping/"

failed=0
for target in csv mapping vcard; do
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
		cargo afl fuzz -V "$seconds" -t 2000 -i "$work/seeds/$target" -o "$work/out/$target" \
		"$bin/$target" >"$work/$target.log" 2>&1 || { tail -20 "$work/$target.log"; failed=1; continue; }
	if [ -n "${FUZZ_KEEP:-}" ]; then
		# The corpus the run grew, for a look or a longer run.
		mkdir -p "$FUZZ_KEEP/$target"
		cp "$work/out/$target/default/queue"/id:* "$FUZZ_KEEP/$target/"
	fi
	stats=$work/out/$target/default/fuzzer_stats
	value() { sed -n "s/^$1 *: *//p" "$stats"; }
	echo "fuzz $target: $(value execs_done) executions in ${seconds} s ($(value execs_per_sec)/s), $(value corpus_count) inputs in the corpus, $(value saved_crashes) crashes, $(value saved_hangs) hangs"
	found=0
	for kind in crashes hangs; do
		for input in "$work/out/$target/default/$kind"/id:*; do
			[ -e "$input" ] || continue
			mkdir -p "fuzz/found/$target"
			cp "$input" "fuzz/found/$target/$kind-$(basename "$input" | tr ':,' '__')"
			found=1
		done
	done
	if [ "$found" = 1 ]; then
		echo "fuzz $target: inputs that crash or hang it are in fuzz/found/$target/"
		failed=1
	fi
done
exit "$failed"
