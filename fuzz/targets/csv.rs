//! Fuzz target: a whole contact file as an import reads it (`import::fuzzing::csv`).

fn main() {
    afl::fuzz!(|data: &[u8]| cardfile_core::import::fuzzing::csv(data));
}
