//! Fuzz target: one text frame into the OCPP parser and every payload decoder
//! (logic and invariants in `fuzz_harness::frames`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::frames::run(data));
