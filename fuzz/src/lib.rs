//! Harness logic shared by the fuzz targets in `fuzz_targets/`. The targets themselves are
//! one-liners; keeping the logic here lets it be unit-tested and read in one place.
//!
//! - [`gen`]: small helpers turning fuzzer bytes into plausible values and JSON trees.
//! - [`grammar`]: payloads a Central System sends (requests and answers), mostly valid,
//!   so inputs get past decoding and into the station's behaviour.
//! - [`frames`]: target `frames`, what a receiver does with a text frame.
//! - [`station_run`]: target `station`, a station driven by a fuzzed sequence of inputs
//!   with its protocol invariants checked after every step.
//!
//! An invariant violation is a `panic!` with a message naming the invariant: libFuzzer
//! reports it as a crash and saves the input.

pub mod frames;
pub mod gen;
pub mod grammar;
mod station_check;
pub mod station_run;
