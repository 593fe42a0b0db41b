#![no_main]
//! Fuzz target `model_file`: [`spikeport_fuzz::model_file`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::model_file(data));
