#![no_main]
//! Fuzz target `hil_checkpoint`: [`spikeport_fuzz::hil_checkpoint`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::hil_checkpoint(data));
