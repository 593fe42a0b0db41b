#![no_main]
//! Fuzz target `idx`: [`spikeport_fuzz::idx`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::idx(data));
