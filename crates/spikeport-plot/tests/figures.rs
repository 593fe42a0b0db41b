//! Every figure writes a well-formed SVG naming its series and a PNG of [`SIZE`]; bad
//! input is a typed error, never a panic.

use std::path::Path;

use spikeport_bench::Record;
use spikeport_plot::{
    accuracy_vs_time, energy_points, energy_vs_accuracy, energy_vs_copies, per_platform, seed_spread,
    CopiesSeries, EnergyPoint, PlotError, SeedStudy, SIZE,
};

fn record(network: &str, backend: &str, curve: &[(f64, f64)]) -> Record {
    let avt: Vec<_> =
        curve.iter().map(|&(t, a)| serde_json::json!({"t_ms": t, "snn_accuracy_pct": a})).collect();
    serde_json::from_value(serde_json::json!({
        "network": network, "backend": backend, "platform": backend, "images": 100,
        "ann_accuracy_pct": 97.0, "snn_accuracy_pct": curve.last().map_or(0.0, |c| c.1),
        "conversion_loss_pp": 1.0, "ann_agreement_pct": 98.0, "no_decision_pct": 0.0,
        "conversion": "global", "max_weight": 0.01, "neuron_model": "IF_cond_exp", "max_freq_hz": 120.0,
        "duration_ms": 500.0, "pause_ms": 50.0, "dt_ms": 1.0, "bio_ms_per_image": 550.0,
        "hardware_s_per_image": 0.55, "wall_s_per_image": 0.001, "total_wall_s": 1.0,
        "synaptic_events_per_image": 1e5, "spikes_per_image": [100.0, 50.0],
        "neuron_updates_per_image": 1e4, "neurons": 10, "synapses": 100,
        "accuracy_vs_time": avt, "seed": 0, "threads": 2
    }))
    .expect("a valid record")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).expect("png written");
    assert_eq!(&b[1..4], b"PNG");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

fn svg(path: &Path) -> String {
    let s = std::fs::read_to_string(path).expect("svg written");
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"), "not an SVG document");
    s
}

#[test]
fn accuracy_vs_time_has_a_panel_per_network_and_a_line_per_backend() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recs = vec![
        record("nas63", "fast", &[(50.0, 80.0), (100.0, 90.0), (525.0, 95.7)]),
        record("nas63", "spinnaker", &[(50.0, 78.0), (100.0, 91.0), (525.0, 95.1)]),
        record("diehl", "fast", &[(50.0, 85.0), (525.0, 98.7)]),
    ];
    let w = accuracy_vs_time(&recs, &dir.path().join("avt")).expect("drawn");
    let s = svg(&w.svg);
    for label in ["nas63", "diehl", "fast", "spinnaker", "simulated time per image (ms)", "accuracy (%)"] {
        assert!(s.contains(label), "SVG lacks `{label}`");
    }
    assert_eq!(png_size(&w.png), SIZE);
}

#[test]
fn energy_vs_accuracy_labels_platforms_and_networks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pts = vec![
        EnergyPoint {
            network: "nas63".into(),
            platform: "SpiNN-5".into(),
            accuracy_pct: 95.0,
            energy_j: 12.7,
            energy_sd_j: 0.03,
        },
        EnergyPoint {
            network: "spikey-net".into(),
            platform: "Spikey".into(),
            accuracy_pct: 84.0,
            energy_j: 1.9e-4,
            energy_sd_j: 5e-7,
        },
        // an SD larger than the mean: the lower bar end is clipped at the axis
        EnergyPoint {
            network: "spikey-net".into(),
            platform: "BrainScaleS-1".into(),
            accuracy_pct: 88.0,
            energy_j: 5e-4,
            energy_sd_j: 6e-4,
        },
    ];
    let w = energy_vs_accuracy(&pts, &dir.path().join("e")).expect("drawn");
    let s = svg(&w.svg);
    for label in ["SpiNN-5", "Spikey", "BrainScaleS-1", "nas63", "spikey-net", "log scale"] {
        assert!(s.contains(label), "SVG lacks `{label}`");
    }
    assert_eq!(png_size(&w.png), SIZE);
    assert_eq!(per_platform(&pts).len(), 3);
}

#[test]
fn seed_spread_shows_mean_and_sd_per_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let studies = vec![SeedStudy {
        platform: "Spikey".into(),
        ann_pct: 90.0,
        ideal_pct: Some(84.0),
        before: vec![80.0, 82.0, 84.0],
        after: vec![84.0, 84.0, 84.0],
    }];
    let w = seed_spread(&studies, &dir.path().join("s")).expect("drawn");
    let s = svg(&w.svg);
    // mean ± SD of [80, 82, 84] is 82.00 ± 2.00 (sample SD); after: 84.00 ± 0.00
    assert!(s.contains("82.00 ± 2.00 %") && s.contains("84.00 ± 0.00 %"), "mean ± SD labels");
    assert!(s.contains("Spikey before HIL") && s.contains("Spikey ANN (90.00 %)"));
    assert_eq!(png_size(&w.png), SIZE);
}

#[test]
fn bad_input_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stem = dir.path().join("x");
    assert!(matches!(accuracy_vs_time(&[], &stem), Err(PlotError::Empty { .. })));
    assert!(matches!(energy_vs_accuracy(&[], &stem), Err(PlotError::Empty { .. })));
    assert!(matches!(seed_spread(&[], &stem), Err(PlotError::Empty { .. })));
    let bad = |e: f64, sd: f64, a: f64| EnergyPoint {
        network: "n".into(),
        platform: "p".into(),
        accuracy_pct: a,
        energy_j: e,
        energy_sd_j: sd,
    };
    for p in [
        bad(0.0, 0.0, 90.0),
        bad(-1.0, 0.0, 90.0),
        bad(f64::NAN, 0.0, 90.0),
        bad(1.0, -0.1, 90.0),
        bad(1.0, 0.0, f64::NAN),
    ] {
        assert!(matches!(energy_vs_accuracy(&[p], &stem), Err(PlotError::InvalidValue { .. })));
    }
    let mut nan = record("nas63", "fast", &[(50.0, 90.0)]);
    nan.accuracy_vs_time[0].snn_accuracy_pct = f64::NAN;
    assert!(matches!(accuracy_vs_time(&[nan], &stem), Err(PlotError::InvalidValue { .. })));
    let no_seeds = SeedStudy {
        platform: "Spikey".into(),
        ann_pct: 90.0,
        ideal_pct: None,
        before: vec![],
        after: vec![1.0],
    };
    assert!(matches!(seed_spread(&[no_seeds], &stem), Err(PlotError::Empty { .. })));
    // an output folder that does not exist
    let ok = vec![bad(1.0, 0.1, 90.0)];
    let e = energy_vs_accuracy(&ok, &dir.path().join("missing/dir/e")).unwrap_err();
    assert!(matches!(e, PlotError::Draw { .. }), "{e}");
    // records without energy give no points
    assert!(energy_points(&[record("nas63", "fast", &[(50.0, 90.0)])]).is_empty());
}

#[test]
fn energy_vs_copies_draws_a_line_per_network_and_platform() {
    let dir = tempfile::tempdir().expect("temp dir");
    let series = vec![
        CopiesSeries {
            network: "nas63".into(),
            platform: "SpiNNaker".into(),
            points: vec![(1.0, 12.7), (2.0, 6.4), (192.0, 0.07)],
        },
        CopiesSeries {
            network: "spikey-net".into(),
            platform: "Spikey".into(),
            points: vec![(1.0, 1.9e-4), (2.0, 9.5e-5)],
        },
    ];
    let w = energy_vs_copies(&series, &dir.path().join("copies")).expect("figure");
    let text = svg(&w.svg);
    for label in ["SpiNNaker", "Spikey", "nas63", "spikey-net", "copies"] {
        assert!(text.contains(label), "{label} missing");
    }
    assert_eq!(png_size(&w.png), SIZE);
    let bad = vec![CopiesSeries { network: "n".into(), platform: "p".into(), points: vec![(0.0, 1.0)] }];
    assert!(matches!(energy_vs_copies(&bad, &dir.path().join("bad")), Err(PlotError::InvalidValue { .. })));
    assert!(matches!(energy_vs_copies(&[], &dir.path().join("none")), Err(PlotError::Empty { .. })));
}
