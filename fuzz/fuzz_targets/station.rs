//! Fuzz target: the station core driven by a sequence of inputs, its protocol invariants
//! checked after every step (logic and invariants in `fuzz_harness::station_run`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::station_run::run(data));
