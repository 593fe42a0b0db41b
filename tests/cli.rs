//! The `spikeport` command line: bad input gives a clear error and a failing exit code;
//! a table run resumes, skipping finished cells; outputs are written.

use std::path::Path;
use std::process::{Command, Output};

fn spikeport(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikeport"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the spikeport binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unknown_config_keys_are_named_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("t.toml");
    std::fs::write(&cfg, "networks = [\"spikey-net\"]\n[hil]\nepoch = 2\n").expect("write");
    let o = spikeport(&["table", "--config", cfg.to_str().expect("utf-8")], dir.path());
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("unknown key `epoch` in [hil]") && e.contains("did you mean `epochs`?"), "{e}");
}

#[test]
fn unknown_names_and_bad_values_fail_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = spikeport(&["run", "--platform", "spinaker", "--images", "1"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("did you mean `spinnaker`?"), "{}", stderr(&o));

    let o = spikeport(&["run", "--network", "nas36", "--images", "1"], dir.path());
    assert!(stderr(&o).contains("did you mean `nas63`?"), "{}", stderr(&o));

    let cfg = dir.path().join("r.toml");
    std::fs::write(&cfg, "images = \"many\"\n").expect("write");
    let o = spikeport(&["run", "--config", cfg.to_str().expect("utf-8")], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("r.toml"), "{}", stderr(&o));

    let o = spikeport(&["energy", "--profile", "spin5", "--input", "x.json"], dir.path());
    assert!(stderr(&o).contains("did you mean `spinn5`?"), "{}", stderr(&o));

    let o = spikeport(&["run", "--conversion", "per_layer", "--images", "1"], dir.path());
    assert!(stderr(&o).contains("did you mean `per-layer`?"), "{}", stderr(&o));
}

#[test]
fn a_table_resumes_and_writes_its_outputs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("t.toml");
    std::fs::write(
        &cfg,
        "networks = [\"spikey-net\"]\nplatforms = [\"reference\", \"fast\"]\nimages = 30\nreference_images = 5\n\
         calibration_images = 30\n",
    )
    .expect("write");
    let args = ["table", "--config", cfg.to_str().expect("utf-8"), "--out", "t.md", "--cells", "cells.jsonl"];
    let o = spikeport(&[&args[..], &["--json", "t.json"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(dir.path().join("t.md")).expect("table written");
    assert!(
        md.contains("| spikey-net | fast | 30 |") && md.contains("| spikey-net | reference | 5 |"),
        "{md}"
    );
    assert!(md.contains("GeNN Ryzen 2600X"), "the fast row is priced: {md}");
    let cells = std::fs::read_to_string(dir.path().join("cells.jsonl")).expect("cells written");
    assert_eq!(cells.lines().count(), 3, "a header and two cells: {cells}");
    assert!(!dir.path().join("cells.jsonl.partial").exists(), "the finished run renamed its file");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("t.json")).expect("json"))
            .expect("valid");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    // rows keep the configured order, but the reference ran after `fast` and reused its scale
    let w = |i: usize| json[i]["outcome"]["record"]["max_weight"].as_f64();
    assert_eq!(json[0]["platform"], "reference");
    assert!(w(0).is_some() && w(0) == w(1), "{:?} vs {:?}", w(0), w(1));
    assert!(md.find("| reference |") < md.find("| fast |"));

    // drop the second cell as a killed run would have, tearing its line: resume runs only it
    let kept: Vec<&str> = cells.lines().take(2).collect();
    let torn = format!("{}\n{}\n{{\"fingerprint\":{{\"key\":{{\"netw", kept[0], kept[1]);
    std::fs::write(dir.path().join("cells.jsonl.partial"), &torn).expect("write");
    let o = spikeport(&[&args[..], &["--resume"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("spikey-net on fast: done (resumed)"), "{e}");
    assert!(e.contains("spikey-net on reference: done") && !e.contains("reference: done (resumed)"), "{e}");
    let again = std::fs::read_to_string(dir.path().join("cells.jsonl")).expect("cells written");
    assert_eq!(again.lines().count(), 3, "the torn line was cut, not kept: {again}");

    // resuming with another seed refuses the recorded cells, naming the setting
    let o = spikeport(&[&args[..], &["--resume", "--seed", "7"]].concat(), dir.path());
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("seed = 0 (this run: 7)"), "{e}");
    // so does a run with other image counts
    std::fs::write(&cfg, std::fs::read_to_string(&cfg).expect("read").replace("images = 30", "images = 31"))
        .expect("write");
    let o = spikeport(&[&args[..], &["--resume"]].concat(), dir.path());
    assert!(!o.status.success() && stderr(&o).contains("images = 30 (this run: 31)"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("cells.jsonl")).expect("read"), again, "left alone");
}

#[test]
fn a_sweep_resumes_only_its_own_points_and_keeps_the_old_file_until_done() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sweep = |extra: &[&str]| {
        let base = [
            "sweep",
            "--platform",
            "fast",
            "--max-weights",
            "0.02,0.03",
            "--images",
            "20",
            "--out",
            "p.jsonl",
        ];
        spikeport(&[&base[..], extra].concat(), dir.path())
    };
    let o = sweep(&["--network", "nas63"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let points = std::fs::read_to_string(dir.path().join("p.jsonl")).expect("points written");
    assert_eq!(points.lines().count(), 3, "{points}");
    // nas63's points are not reused for spikey-net
    let o = sweep(&["--network", "spikey-net", "--resume"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("network = \"nas63\" (this run: \"spikey-net\")"), "{}", stderr(&o));
    // a failing fresh sweep (its input is too large to encode) keeps the finished file
    let cfg = dir.path().join("s.toml");
    std::fs::write(&cfg, "max_freqs_hz = [1e9]\n").expect("write");
    let o = sweep(&["--network", "nas63", "--config", "s.toml"]);
    assert!(!o.status.success() && stderr(&o).contains("--max-freq"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("p.jsonl")).expect("kept"), points);
    // it recorded no point, so it leaves no unfinished file behind
    assert!(!dir.path().join("p.jsonl.partial").exists());
    // the same settings resume every point without running one
    let o = sweep(&["--network", "nas63", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("µS, 120 Hz:"), "nothing ran again: {}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("p.jsonl")).expect("kept"), points);
}

#[test]
fn a_closed_standard_output_loses_no_results() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spikeport"))
        .args(["run", "--network", "nas63", "--images", "5", "--max-weight", "0.02", "--json", "r.json"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // the reader goes away before anything is printed, as `| head -0` would
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).expect("json written"))
            .expect("valid");
    assert_eq!(r[0]["images"], 5);
}

#[test]
fn an_unbounded_input_rate_is_refused_before_allocating() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = spikeport(
        &["run", "--network", "nas63", "--images", "2", "--max-weight", "0.02", "--max-freq", "1e9"],
        dir.path(),
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("input spikes") && e.contains("limit") && e.contains("--max-freq"), "{e}");
    // no images at all is an error before any sweep or training, not after it
    let o = spikeport(&["run", "--network", "nas63", "--images", "0"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("must be ≥ 1"), "{}", stderr(&o));
    let o = spikeport(&["hil", "--images", "0"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("images (test) must be ≥ 1"), "{}", stderr(&o));
    let o = spikeport(&["sweep", "--network", "nas63", "--images", "0", "--out", "s.jsonl"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("calibration_images must be ≥ 1"), "{}", stderr(&o));
}

#[test]
fn an_onnx_model_runs_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let onnx =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/spikeport-io/tests/fixtures/mlp_torch.onnx");
    let o = spikeport(
        &[
            "run",
            "--model",
            onnx.to_str().expect("utf-8"),
            "--images",
            "40",
            "--max-weight",
            "0.02",
            "--json",
            "r.json",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("biases folded"), "the import's notes are shown: {}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).expect("json"))
            .expect("valid");
    let snn = r[0]["snn_accuracy_pct"].as_f64().expect("a number");
    assert!(snn > 80.0, "the imported MLP classifies as a spiking network: {snn} %");
    let o = spikeport(&["run", "--model", "missing.onnx", "--images", "1"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("missing.onnx"), "{}", stderr(&o));
    // an unsupported graph names its file; a folder is called a folder, not "not found"
    let bad = onnx.with_file_name("err_sigmoid.onnx");
    let o = spikeport(&["run", "--model", bad.to_str().expect("utf-8"), "--images", "1"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("err_sigmoid.onnx"), "{}", stderr(&o));
    let o = spikeport(&["run", "--model", ".", "--images", "1"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("is a folder"), "{}", stderr(&o));
}

#[test]
fn run_writes_every_images_prediction_consistent_with_its_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("r.toml");
    std::fs::write(
        &cfg,
        "network = \"nas63\"\nplatform = \"fast\"\nimages = 12\nmax_weight = 0.02\nbatch = 5\n",
    )
    .expect("write");
    let args = ["run", "--config", "r.toml", "--predictions", "p.csv", "--json", "r.json"];
    let o = spikeport(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("p.csv")).expect("predictions written");
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(csv.lines().next(), Some(spikeport::bench::report::PREDICTIONS_HEADER));
    assert_eq!(rows.len(), 12);
    let labels = spikeport::data::Mnist::load_test().expect("mnist").labels()[..12].to_vec();
    let mut correct = 0;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[2], i.to_string());
        assert_eq!(r[3], labels[i].to_string());
        let counts: Vec<u32> = r[6].split(';').map(|c| c.parse().expect("count")).collect();
        assert_eq!(counts.len(), 10);
        // the class is the strict arg max of the output counts, empty on a tie
        let top = counts.iter().copied().max().unwrap_or(0);
        let winners: Vec<usize> = (0..10).filter(|&c| counts[c] == top).collect();
        let expect = if top > 0 && winners.len() == 1 { winners[0].to_string() } else { String::new() };
        assert_eq!(r[5], expect, "image {i}: {counts:?}");
        correct += usize::from(r[5] == r[3]);
        assert_eq!(r[7].split(';').count(), 4, "spikes of the 4 populations");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).expect("json"))
            .expect("valid");
    let acc = json[0]["snn_accuracy_pct"].as_f64().expect("accuracy");
    assert!((acc - 100.0 * correct as f64 / 12.0).abs() < 1e-9, "{acc} vs {correct}/12");
    assert!(json[0].get("predictions").is_none(), "the JSON stays small");
}

#[test]
fn hil_runs_on_a_digital_platform_and_in_the_papers_analog_setting() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("d.toml"),
        "network = \"spikey-net\"\nplatform = \"fast\"\nmax_weight = 0.007\n",
    )
    .expect("write");
    let args = [
        "--config",
        "d.toml",
        "--images",
        "30",
        "hil",
        "--epochs",
        "1",
        "--train-images",
        "40",
        "--json",
        "d.json",
    ];
    let o = spikeport(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(f)).expect("json")).expect("valid")
    };
    let d = read("d.json");
    assert_eq!(d["platform"], "fast");
    for k in ["before", "after"] {
        let acc = d[k]["accuracy_pct"].as_f64().expect("accuracy");
        assert!((0.0..=100.0).contains(&acc), "{d}");
        assert_eq!(d[k]["spikes_per_image"].as_array().expect("spikes").len(), 3, "{d}");
    }
    assert_eq!(d["epoch_accuracy_pct"].as_array().expect("epochs").len(), 1);

    // Spikey in the paper's setting: trained and tested at 180 ms / 70 Hz, incomplete
    // batches of 100 skipped
    std::fs::write(
        dir.path().join("s.toml"),
        "network = \"spikey-net\"\nplatform = \"spikey\"\nmax_weight = 0.025\npresentation = \"paper\"\n",
    )
    .expect("write");
    let args = [
        "--config",
        "s.toml",
        "--images",
        "20",
        "hil",
        "--epochs",
        "1",
        "--train-images",
        "150",
        "--json",
        "s.json",
    ];
    let o = spikeport(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read("s.json");
    assert_eq!(s["test_encoder"]["duration_ms"].as_f64(), Some(180.0), "{s}");
    // fewer training images than one batch: a clear error, not a silent no-op
    let args = ["--config", "s.toml", "--images", "5", "hil", "--train-images", "50"];
    let o = spikeport(&args, dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no complete batch"), "{}", stderr(&o));
}
