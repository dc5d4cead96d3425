//! Fuzz target: the vCard reader (`import::fuzzing::vcard`).

fn main() {
    afl::fuzz!(|data: &[u8]| cardfile_core::import::fuzzing::vcard(data));
}
