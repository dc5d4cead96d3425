//! Inputs the fuzzer found (tests/fixtures/fuzzed/<target>/), replayed through exactly the
//! calls the fuzz targets make (`import::fuzzing`): each must end, quickly, without a
//! panic. The `afl-*` files are inputs its runs kept for new coverage (none has crashed or
//! hung a target yet); an input that does is added here when its bug is fixed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cardfile_core::import::fuzzing;

/// What a fuzz target runs on an input.
type Target = fn(&[u8]);

#[test]
fn every_input_the_fuzzer_found_is_read_without_panic_or_hang() {
    let root: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "fuzzed"]
        .iter()
        .collect();
    let targets: [(&str, Target); 3] = [
        ("csv", fuzzing::csv),
        ("mapping", fuzzing::mapping),
        ("vcard", fuzzing::vcard),
    ];
    let mut replayed = 0;
    for (target, run) in targets {
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(root.join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let started = Instant::now();
            run(&data);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{} took {:?}",
                input.display(),
                started.elapsed()
            );
            replayed += 1;
        }
    }
    assert!(replayed > 0, "the fuzzed inputs are in {}", root.display());
}
