//! Fuzz target: the header mapping and each row's normalisation (`import::fuzzing::mapping`).

fn main() {
    afl::fuzz!(|data: &[u8]| cardfile_core::import::fuzzing::mapping(data));
}
