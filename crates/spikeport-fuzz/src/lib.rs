//! # spikeport-fuzz — the parsers' fuzz entry points
//!
//! One function per parser of untrusted input. Each takes arbitrary bytes and must return
//! without panicking, aborting, hanging or allocating without bound, whatever the bytes:
//! malformed input is an `Err`, which the function discards. The `cargo fuzz` targets in
//! `fuzz/fuzz_targets/` call them under libFuzzer (nightly toolchain); the test
//! `tests/replay.rs` calls them on every committed corpus file and past crash (stable
//! toolchain, part of `cargo test --workspace`), so CI replays the fuzzers' findings without
//! fuzzing. See `docs/reliability.md`.

use std::path::Path;

/// A fuzz entry point: takes any bytes, must return.
pub type Target = fn(&[u8]);

/// Every target: its name (the folder of its corpus) and its entry point.
pub const TARGETS: &[(&str, Target)] = &[
    ("idx", idx),
    ("model_file", model_file),
    ("onnx", onnx),
    ("toml_config", toml_config),
    ("hil_checkpoint", hil_checkpoint),
    ("records", records),
    #[cfg(feature = "nir")]
    ("nir", nir),
];

/// An IDX file, raw or gzipped, as `spikeport_data` reads MNIST: magic, dimensions, payload
/// length, and the gzip decoder with its size cap.
pub fn idx(data: &[u8]) {
    let dir = scratch();
    let path = dir.path().join("input.idx");
    if std::fs::write(&path, data).is_ok() {
        let _ = spikeport_data::read_idx(&path);
    }
    let _ = spikeport_data::parse_idx(data, Path::new("input.idx"));
}

/// A model file pair, `stem.json` (the header) and `stem.npz` (the weights): the input is
/// the header's length as 2 little-endian bytes, the header, then the `.npz` bytes.
pub fn model_file(data: &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<2>() else { return };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (json, npz) = rest.split_at(len);
    let dir = scratch();
    let stem = dir.path().join("model");
    if std::fs::write(stem.with_extension("json"), json).is_ok()
        && std::fs::write(stem.with_extension("npz"), npz).is_ok()
    {
        let _ = spikeport_ann::Model::load(&stem);
    }
}

/// An ONNX model (protobuf), imported as a spikeport network.
pub fn onnx(data: &[u8]) {
    let _ = spikeport_io::onnx::import_onnx_bytes(data, "fuzz", None);
}

/// A TOML experiment file of every subcommand (`spikeport_app::config::parse`: unknown keys
/// with suggestions, types).
pub fn toml_config(data: &[u8]) {
    use spikeport_app::config::{
        parse, ConvertConfig, EnergyConfig, HilRunConfig, RunConfig, SweepConfig, TrainRunConfig,
    };
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse::<RunConfig>(text, "fuzz.toml");
    let _ = parse::<SweepConfig>(text, "fuzz.toml");
    let _ = parse::<HilRunConfig>(text, "fuzz.toml");
    let _ = parse::<TrainRunConfig>(text, "fuzz.toml");
    let _ = parse::<ConvertConfig>(text, "fuzz.toml");
    let _ = parse::<EnergyConfig>(text, "fuzz.toml");
    if let Ok(cfg) = parse::<spikeport_app::table::TableConfig>(text, "fuzz.toml") {
        let _ = cfg.check();
    }
}

/// A HIL checkpoint (`spikeport_hil::read_checkpoint`: layout version, fingerprint, state).
pub fn hil_checkpoint(data: &[u8]) {
    let dir = scratch();
    let path = dir.path().join("hil.json");
    if std::fs::write(&path, data).is_ok() {
        let _ = spikeport_hil::read_checkpoint(&path);
    }
}

/// A record file of table cells and of sweep points, read and resumed (`spikeport_records`:
/// header, fingerprints, torn last line, duplicates).
pub fn records(data: &[u8]) {
    let dir = scratch();
    let path = dir.path().join("cells.jsonl");
    let partial = spikeport_records::partial_path(&path);
    if std::fs::write(&partial, data).is_err() {
        return;
    }
    let _ = spikeport_records::read::<spikeport_app::table::Cell>(&partial, spikeport_app::table::CELL_KIND);
    let _ = spikeport_records::read::<serde_json::Value>(&partial, "sweep-point");
    // resuming cuts a torn line and appends after the last record
    if let Ok(mut log) = spikeport_records::RecordLog::<serde_json::Value>::open(&path, "sweep-point", true) {
        let fp = spikeport_records::Fingerprint::new().key("fuzz", 1);
        if log.lookup(&fp).is_ok_and(|r| r.is_none()) && log.append(&fp, &serde_json::Value::Null).is_ok() {
            let _ = log.finish();
        }
    }
}

/// A NIR graph file (HDF5), read and imported.
#[cfg(feature = "nir")]
pub fn nir(data: &[u8]) {
    let dir = scratch();
    let path = dir.path().join("graph.nir");
    if std::fs::write(&path, data).is_ok() {
        let _ = spikeport_io::nir::import_nir(&path);
    }
}

/// A fresh temporary folder (removed when dropped). A fuzzer without a writable temporary
/// folder cannot run the file targets at all, hence the panic.
fn scratch() -> tempfile::TempDir {
    #[allow(clippy::expect_used)]
    tempfile::tempdir().expect("a writable temporary folder")
}
