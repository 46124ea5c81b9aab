//! chargepoint: an OCPP 1.6-J charge point with a simulated DC charger, and a built-in
//! Central System. This library is the binary's wiring, also used by the end-to-end tests.

pub mod bench;
pub mod bench_fleet;
pub mod clock;
pub mod commands;
pub mod control;
pub mod csms_panel;
pub mod demo;
pub mod fleet;
pub mod frame_log;
pub mod journal;
pub mod panel;
pub mod procfs;
pub mod runner;
pub mod settings;
