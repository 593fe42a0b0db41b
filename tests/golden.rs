//! Golden records: the benchmark matrix (all five zoo networks × every platform, both
//! conversions, sweeps on training images) and the command line's `run` give exactly the
//! records stored in `tests/golden/`, everything but host timings (wall times, threads, host
//! energy, and the run times of the platforms whose clock is this host's: the reference
//! simulator).
//!
//! This pins behaviour across refactors: a change that alters a record on purpose updates the
//! fixtures in the same commit, with
//!
//! ```text
//! SPIKEPORT_BLESS=1 cargo test --test golden
//! ```
//!
//! and says in its message why the records changed.

use std::path::{Path, PathBuf};

use serde_json::Value;
use spikeport::ann::{load_zoo, Model, ZOO_NAMES};
use spikeport::benchmark::{run_benchmark, BenchmarkSpec, ConversionKind};
use spikeport::data::Mnist;

/// Platforms whose clock is the host's wall time (the others are modelled, so their times
/// and energies are deterministic).
const HOST_CLOCK: [&str; 2] = ["reference", "reference-01ms"];

/// Keys that depend on the host, not on the model.
const HOST_KEYS: [&str; 4] = ["wall_s_per_image", "total_wall_s", "threads", "host_energy"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

/// The record without its host-dependent fields.
fn normalise(mut record: Value) -> Value {
    let Some(obj) = record.as_object_mut() else { return record };
    for k in HOST_KEYS {
        obj.remove(k);
    }
    let backend = obj.get("backend").and_then(Value::as_str).unwrap_or_default().to_string();
    let platform = backend.split(' ').next().unwrap_or_default();
    if HOST_CLOCK.contains(&platform) {
        obj.remove("hardware_s_per_image");
        if let Some(cost) = obj.get_mut("cost") {
            scrub(cost, &["run_time_s", "time_per_inference_s"]);
        }
    }
    record
}

/// Removes `keys` from every object inside `v`.
fn scrub(v: &mut Value, keys: &[&str]) {
    match v {
        Value::Object(o) => {
            for k in keys {
                o.remove(*k);
            }
            o.values_mut().for_each(|x| scrub(x, keys));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scrub(x, keys)),
        _ => {}
    }
}

fn gpu_available() -> bool {
    match spikeport::registry::platform("gpu").and_then(|p| Ok(p.backend()?)) {
        Ok(_) => true,
        Err(e) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must have a Vulkan adapter: {e}");
            eprintln!("no GPU adapter here, the gpu records are not checked: {e}");
            false
        }
    }
}

/// Compares `got` with the fixture `name`, or writes it with `SPIKEPORT_BLESS=1`.
fn check(name: &str, got: Vec<Value>, skip: &dyn Fn(&Value) -> bool) {
    let path = fixture(name);
    if std::env::var("SPIKEPORT_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let text = serde_json::to_string_pretty(&got).expect("json");
        std::fs::write(&path, text + "\n").expect("write fixture");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let want: Vec<Value> = serde_json::from_str(&text).expect("fixture is JSON");
    let want: Vec<&Value> = want.iter().filter(|v| !skip(v)).collect();
    let got: Vec<&Value> = got.iter().filter(|v| !skip(v)).collect();
    let key = |v: &Value| format!("{} on {}", v["network"], v["backend"]);
    assert_eq!(
        got.iter().map(|v| key(v)).collect::<Vec<_>>(),
        want.iter().map(|v| key(v)).collect::<Vec<_>>(),
        "the cells differ from {}",
        path.display()
    );
    let mut diffs = Vec::new();
    for (g, w) in got.iter().zip(&want) {
        if g != w {
            let (go, wo) = (g.as_object().expect("object"), w.as_object().expect("object"));
            let mut fields: Vec<&String> =
                go.keys().chain(wo.keys()).filter(|k| go.get(*k) != wo.get(*k)).collect();
            fields.sort();
            fields.dedup();
            let show = |o: &serde_json::Map<String, Value>| {
                serde_json::to_string(&fields.iter().map(|f| o.get(*f)).collect::<Vec<_>>()).expect("json")
            };
            diffs.push(format!("{} differs in {fields:?}:\n got  {}\n want {}", key(g), show(go), show(wo)));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} records differ from {}:\n{}",
        diffs.len(),
        path.display(),
        diffs.join("\n")
    );
}

#[test]
fn the_benchmark_matrix_gives_the_golden_records() {
    let mnist = Mnist::load().expect("MNIST ships in data/");
    let models: Vec<(String, Model)> =
        ZOO_NAMES.iter().map(|n| (n.to_string(), load_zoo(n).expect("zoo model"))).collect();
    let platforms = [
        "fast",
        "fast-genn",
        "spinnaker",
        "spinnaker-spinn3",
        "spikey",
        "brainscales",
        "reference",
        "reference-01ms",
    ];
    let spec = BenchmarkSpec {
        images: 16,
        reference_images: 6,
        conversions: vec![ConversionKind::Paper, ConversionKind::PerLayer],
        calibration_images: 16,
        batch: 6,
        ..BenchmarkSpec::paper(&platforms)
    };
    let mut records = run_benchmark(&spec, &models, &mnist, &mut |_| {}).expect("benchmark");
    // the GPU on a software Vulkan driver is slow: no sweep, one conversion
    let gpu = gpu_available();
    if gpu {
        let spec = BenchmarkSpec { max_weight: Some(0.015), ..BenchmarkSpec::paper(&["gpu"]) };
        let spec = BenchmarkSpec { images: 16, batch: 6, ..spec };
        records.extend(run_benchmark(&spec, &models, &mnist, &mut |_| {}).expect("gpu benchmark"));
    }
    let got: Vec<Value> =
        records.into_iter().map(|r| normalise(serde_json::to_value(r).expect("json"))).collect();
    let is_gpu = |v: &Value| v["backend"].as_str().is_some_and(|b| b.starts_with("gpu"));
    check("paper_benchmark.json", got, &|v| !gpu && is_gpu(v));
}

#[test]
fn the_command_line_run_gives_the_golden_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut got = Vec::new();
    for (network, platform) in [("nas63", "spinnaker"), ("spikey-net", "spikey"), ("nas129", "fast")] {
        let out = dir.path().join(format!("{network}-{platform}.json"));
        let cfg = dir.path().join(format!("{network}-{platform}.toml"));
        let toml = format!(
            "network = \"{network}\"\nplatform = \"{platform}\"\nimages = 20\ncalibration_images = 20\nbatch = 8\n"
        );
        std::fs::write(&cfg, toml).expect("write config");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_spikeport"))
            .arg("run")
            .arg("--config")
            .arg(&cfg)
            .arg("--json")
            .arg(&out)
            .output()
            .expect("the spikeport binary runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("json written")).expect("json");
        match v {
            Value::Array(records) => got.extend(records.into_iter().map(normalise)),
            other => got.push(normalise(other)),
        }
    }
    check("cli_run.json", got, &|_| false);
}
