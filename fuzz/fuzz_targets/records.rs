#![no_main]
//! Fuzz target `records`: [`spikeport_fuzz::records`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::records(data));
