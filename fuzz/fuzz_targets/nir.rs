#![no_main]
//! Fuzz target `nir` (feature `nir`, needs the HDF5 C library): [`spikeport_fuzz::nir`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| spikeport_fuzz::nir(data));
