#![no_main]
//! Fuzz target `toml_config`: [`spikeport_fuzz::toml_config`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::toml_config(data));
