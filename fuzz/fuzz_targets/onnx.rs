#![no_main]
//! Fuzz target `onnx`: [`spikeport_fuzz::onnx`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::onnx(data));
