//! Result records and their Markdown, JSON and CSV forms.
//!
//! The JSON and CSV field names carry their units and are stable: downstream tools parse
//! them. See `docs/report-schema.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use spikeport_energy::model::si;
use spikeport_energy::{EnergyEstimate, HostMeasurement};

use crate::cost::{CostAt, CostOfInference};
use crate::metrics::CostMetrics;
use spikeport_snn::{Counter, UnitKind};

use crate::error::BenchError;

/// Accuracy at one checkpoint of simulated time within each image.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccuracyAt {
    /// Time after the image's start, ms.
    pub t_ms: f64,
    /// SNN accuracy from the spikes counted up to `t_ms`, percent.
    pub snn_accuracy_pct: f64,
}

/// The result of one network on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Network name, e.g. `"nas63"`.
    pub network: String,
    /// Backend name as selected, e.g. `"fast"`.
    pub backend: String,
    /// The backend's platform name.
    pub platform: String,
    /// Number of test images.
    pub images: usize,
    /// ANN accuracy on the same images, percent.
    pub ann_accuracy_pct: f64,
    /// SNN accuracy, percent (ties and silent outputs count as wrong, as in the paper).
    pub snn_accuracy_pct: f64,
    /// `ann_accuracy_pct − snn_accuracy_pct`, percentage points.
    pub conversion_loss_pp: f64,
    /// Images on which the SNN's class equals the ANN's, percent.
    pub ann_agreement_pct: f64,
    /// Images with a tie or no output spike, percent.
    pub no_decision_pct: f64,
    /// How the network was converted.
    pub conversion: String,
    /// The global weight scale, if one was used (unit of the neuron's synapses).
    pub max_weight: Option<f64>,
    /// Neuron model of the converted layers.
    pub neuron_model: String,
    /// Maximum input rate, Hz.
    pub max_freq_hz: f64,
    /// Presentation time per image, ms.
    pub duration_ms: f64,
    /// Pause after each image, ms.
    pub pause_ms: f64,
    /// Backend time step, ms.
    pub dt_ms: f64,
    /// Simulated biological time per image, ms.
    pub bio_ms_per_image: f64,
    /// Modelled hardware time per image, s (host time for software simulators).
    pub hardware_s_per_image: f64,
    /// Host wall-clock time of the simulation per image, s.
    pub wall_s_per_image: f64,
    /// Host wall-clock time of the whole cell (conversion, sweeps, simulation), s.
    pub total_wall_s: f64,
    /// Synaptic events per image.
    pub synaptic_events_per_image: f64,
    /// Spikes per image per population, input population first.
    pub spikes_per_image: Vec<f64>,
    /// Neuron updates (neuron-timesteps) per image.
    pub neuron_updates_per_image: f64,
    /// Neurons deployed (non-input), per network copy.
    pub neurons: usize,
    /// Synapses deployed, per network copy (mean over copies where mapping loses some).
    pub synapses: usize,
    /// Accuracy as a function of simulated time within each image.
    pub accuracy_vs_time: Vec<AccuracyAt>,
    /// Deployment seed.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Hardware units the mapping used (kind → count, e.g. `core`, `chip`, `board`);
    /// empty for software simulators.
    #[serde(default)]
    pub hardware_units: BTreeMap<UnitKind, usize>,
    /// Platform-specific event counts over all images (name → total, e.g.
    /// `ring_saturations`, `tick_overruns`, `packets_sent`); see
    /// [`Activity::counters`](spikeport_snn::Activity).
    #[serde(default)]
    pub platform_counters: BTreeMap<Counter, u64>,
    /// Energy **per image** under each energy profile of the setup (mean ± SD in J, the
    /// per-term breakdown with every coefficient's source, and an estimate's
    /// assumptions); empty when the setup named no profile.
    #[serde(default)]
    pub energy: Vec<EnergyEstimate>,
    /// Energy of the host running the simulation of all images (RAPL where readable,
    /// otherwise an assumed power × wall time, as its `method` says): this host's power ×
    /// this host's time, apart from the platform's figures.
    #[serde(default)]
    pub host_energy: Option<HostMeasurement>,
    /// Network copies the simulation ran side by side.
    #[serde(default = "one")]
    pub copies: usize,
    /// Time and energy per inference the paper's way: at one copy, at the copies run, at the
    /// most that fit, and along the copies, on the platform's own clock.
    #[serde(default)]
    pub cost: Option<CostOfInference>,
    /// Hardware-independent cost metrics (NeuroBench's static-task definitions).
    #[serde(default)]
    pub metrics: Option<CostMetrics>,
    /// Per-image results, when the setup asked to keep them
    /// ([`BackendSetup::keep_predictions`](crate::BackendSetup)); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predictions: Vec<ImagePrediction>,
}

/// One image's result in a cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePrediction {
    /// Index of the image in the cell's test set.
    pub image: usize,
    /// Its label.
    pub label: u8,
    /// The ANN's class.
    pub ann_class: usize,
    /// The SNN's class (`None`: a tie or no output spike, counted as wrong).
    pub snn_class: Option<usize>,
    /// Output spike counts in the image's readout window, one per class.
    pub output_counts: Vec<u32>,
    /// Spikes per population in the readout window, input population first.
    pub spikes_per_layer: Vec<u32>,
}

/// The column names of [`predictions_csv`].
pub const PREDICTIONS_HEADER: &str =
    "network,backend,image,label,ann_class,snn_class,output_counts,spikes_per_layer";

/// The per-image results of `records` as CSV ([`PREDICTIONS_HEADER`]): an empty `snn_class`
/// is a tie or silence; counts are `;`-separated.
pub fn predictions_csv(records: &[Record]) -> String {
    let mut s = String::from(PREDICTIONS_HEADER);
    s.push('\n');
    let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(";");
    for r in records {
        for p in &r.predictions {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{}",
                csv_field(&r.network),
                csv_field(&r.backend),
                p.image,
                p.label,
                p.ann_class,
                p.snn_class.map_or(String::new(), |c| c.to_string()),
                join(&p.output_counts),
                join(&p.spikes_per_layer)
            );
        }
    }
    s
}

fn one() -> usize {
    1
}

impl Record {
    /// Host energy per image, J (mean, SD), if it was measured.
    pub fn host_energy_per_image(&self) -> Option<(f64, f64)> {
        let h = self.host_energy.as_ref()?;
        let n = self.images.max(1) as f64;
        Some((h.energy_j / n, h.sd_j / n))
    }
}

/// `mean ± SD (profile)` of the first energy estimate of a cost point, or `—`.
fn cost_energy(at: &CostAt) -> String {
    at.energy_per_inference
        .first()
        .map_or("—".into(), |e| format!("{} ± {}", si(e.energy_j, "J"), si(e.sd_j, "J")))
}

/// A time per inference with its unit, or `—` where the clock cannot tell (this host's).
fn cost_time(at: &CostAt) -> String {
    at.time_per_inference_s.map_or("—".into(), |t| si(t, "s"))
}

/// The cost of inference as Markdown, one row per record with a cost: the copies the
/// platform holds and what binds, time and energy per inference at one copy (latency), at
/// the record's setting (SNABSuite's copies) and at the most that fit (throughput), the
/// energy profile and clock, this host's own wall time and energy per image, and
/// NeuroBench's synaptic operations and activation sparsity.
pub fn cost_table(records: &[Record]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| network | platform | copies: setting / max | binding constraint | time / inference: 1 copy · setting · max \
         | energy / inference (J): 1 copy · setting · max | energy profile, clock | this host: wall / image, energy / \
         image | syn. ops / inference (dense) | activation sparsity |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---:|");
    for r in records {
        let Some(cost) = &r.cost else { continue };
        let profile = cost.at_setting.energy_per_inference.first().map_or("none".to_string(), |e| {
            let est = if e.kind == spikeport_energy::ProfileKind::Estimate { ", estimate" } else { "" };
            format!("{}{est}", e.profile)
        });
        let binding = cost.binding_constraint.as_deref().map_or_else(
            || format!("images ({})", cost.images),
            |b| b.trim_start_matches("network does not fit: ").split(" (").next().unwrap_or(b).to_string(),
        );
        let host = match r.host_energy_per_image() {
            Some((m, _)) => format!(
                "{} · {}{}",
                si(r.wall_s_per_image, "s"),
                si(m, "J"),
                if r.host_energy.as_ref().is_some_and(|h| h.is_measured()) {
                    " (RAPL)"
                } else {
                    " (assumed power)"
                }
            ),
            None => si(r.wall_s_per_image, "s"),
        };
        let m = r.metrics.as_ref();
        let _ = writeln!(
            s,
            "| {} | {} | {} / {} | {binding} | {} · {} · {} | {} · {} · {} | {profile}; {} | {host} | {} | {} |",
            r.network,
            r.backend,
            cost.copies_setting,
            cost.copies_max,
            cost_time(&cost.at_one),
            cost_time(&cost.at_setting),
            cost_time(&cost.at_max),
            cost_energy(&cost.at_one),
            cost_energy(&cost.at_setting),
            cost_energy(&cost.at_max),
            match cost.clock.split(" (").next() {
                Some(clock) => clock.to_string(),
                None => cost.clock.clone(),
            },
            m.map_or("—".into(), |m| format!(
                "{:.3e} ({:.2e})",
                m.synaptic_ops_per_inference, m.dense_synaptic_ops_per_inference
            )),
            m.map_or("—".into(), |m| format!("{:.4}", m.activation_sparsity)),
        );
    }
    s
}

/// The columns of [`markdown_table`].
pub const TABLE_HEADER: &str = "| network | backend | images | ANN acc. (%) | SNN acc. (%) | conv. loss (pp) | agree w/ ANN (%) | bio ms / image | wall ms / image | syn. events / image | spikes / image (per layer) | conversion |";

/// A Markdown table of records, one row each.
pub fn markdown_table(records: &[Record]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{TABLE_HEADER}");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for r in records {
        let spikes = r.spikes_per_image.iter().map(|v| format!("{v:.0}")).collect::<Vec<_>>().join(" / ");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.3} | {:.3e} | {} | {} |",
            r.network,
            r.backend,
            r.images,
            r.ann_accuracy_pct,
            r.snn_accuracy_pct,
            r.conversion_loss_pp,
            r.ann_agreement_pct,
            r.bio_ms_per_image,
            r.wall_s_per_image * 1e3,
            r.synaptic_events_per_image,
            spikes,
            r.conversion
        );
    }
    s
}

/// A Markdown table of the hardware units and platform counters of the records that have
/// any (hardware models); empty when none has. Counters are shown as totals over the run.
pub fn platform_table(records: &[Record]) -> String {
    let mut s = String::new();
    let rows: Vec<&Record> =
        records.iter().filter(|r| !r.hardware_units.is_empty() || !r.platform_counters.is_empty()).collect();
    if rows.is_empty() {
        return s;
    }
    let _ = writeln!(s, "| network | backend | images | hardware units | platform counters (totals) |");
    let _ = writeln!(s, "|---|---|---:|---|---|");
    for r in rows {
        let units = r.hardware_units.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ");
        let counters =
            r.platform_counters.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(s, "| {} | {} | {} | {units} | {counters} |", r.network, r.backend, r.images);
    }
    s
}

/// The CSV column names, in order.
pub const CSV_HEADER: &str = "network,backend,platform,images,ann_accuracy_pct,snn_accuracy_pct,conversion_loss_pp,ann_agreement_pct,no_decision_pct,max_weight,neuron_model,max_freq_hz,duration_ms,pause_ms,dt_ms,bio_ms_per_image,hardware_s_per_image,wall_s_per_image,total_wall_s,synaptic_events_per_image,spikes_per_image,neuron_updates_per_image,neurons,synapses,seed,threads,conversion,hardware_units,platform_counters,copies,copies_max,time_per_inference_s,energy_per_inference_j,energy_per_inference_sd_j,energy_profile";

/// `k=v;k=v` in key order (names are identifiers, so no quoting is needed).
fn key_values<K: std::fmt::Display, V: std::fmt::Display>(m: &BTreeMap<K, V>) -> String {
    m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Records as CSV ([`CSV_HEADER`] first); `spikes_per_image` is one field of
/// `;`-separated numbers, input population first; `accuracy_vs_time` is JSON-only. The last
/// six columns are the cost of inference at the cell's copies (empty without a cost): the
/// largest copies that fit, time per inference on the platform's clock (s), and the energy
/// per inference (J, mean and 1 SD) under the platform's first energy profile, named.
pub fn to_csv(records: &[Record]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for r in records {
        let spikes = r.spikes_per_image.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(";");
        let cost = r.cost.as_ref();
        let at = cost.map(|c| &c.at_setting);
        let energy = at.and_then(|a| a.energy_per_inference.first());
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.network),
            csv_field(&r.backend),
            csv_field(&r.platform),
            r.images,
            r.ann_accuracy_pct,
            r.snn_accuracy_pct,
            r.conversion_loss_pp,
            r.ann_agreement_pct,
            r.no_decision_pct,
            r.max_weight.map_or(String::new(), |w| w.to_string()),
            csv_field(&r.neuron_model),
            r.max_freq_hz,
            r.duration_ms,
            r.pause_ms,
            r.dt_ms,
            r.bio_ms_per_image,
            r.hardware_s_per_image,
            r.wall_s_per_image,
            r.total_wall_s,
            r.synaptic_events_per_image,
            spikes,
            r.neuron_updates_per_image,
            r.neurons,
            r.synapses,
            r.seed,
            r.threads,
            csv_field(&r.conversion),
            key_values(&r.hardware_units),
            key_values(&r.platform_counters),
            r.copies,
            cost.map_or(String::new(), |c| c.copies_max.to_string()),
            at.and_then(|a| a.time_per_inference_s).map_or(String::new(), |t| t.to_string()),
            energy.map_or(String::new(), |e| e.energy_j.to_string()),
            energy.map_or(String::new(), |e| e.sd_j.to_string()),
            energy.map_or(String::new(), |e| csv_field(&e.profile)),
        );
    }
    s
}

/// Writes `contents` to `path` atomically: a temporary file beside it, then a rename, so a
/// killed run never leaves a half-written report.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), BenchError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| BenchError::Io { path: p, source }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(contents).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Writes the records as a pretty JSON array.
pub fn write_json(path: &Path, records: &[Record]) -> Result<(), BenchError> {
    let mut bytes = serde_json::to_vec_pretty(records)?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Writes the records as CSV.
pub fn write_csv(path: &Path, records: &[Record]) -> Result<(), BenchError> {
    write_atomic(path, to_csv(records).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record() -> Record {
        Record {
            network: "nas63".into(),
            backend: "fast".into(),
            platform: "Fast".into(),
            images: 100,
            ann_accuracy_pct: 97.0,
            snn_accuracy_pct: 96.5,
            conversion_loss_pp: 0.5,
            ann_agreement_pct: 98.0,
            no_decision_pct: 1.0,
            conversion: "global, max_weight 0.015".into(),
            max_weight: Some(0.015),
            neuron_model: "IF_cond_exp".into(),
            max_freq_hz: 120.0,
            duration_ms: 500.0,
            pause_ms: 50.0,
            dt_ms: 1.0,
            bio_ms_per_image: 550.0,
            hardware_s_per_image: 0.001,
            wall_s_per_image: 0.001,
            total_wall_s: 0.2,
            synaptic_events_per_image: 12345.0,
            spikes_per_image: vec![100.0, 20.0, 5.0, 3.0],
            neuron_updates_per_image: 34650.0,
            neurons: 63,
            synapses: 34240,
            accuracy_vs_time: vec![AccuracyAt { t_ms: 50.0, snn_accuracy_pct: 80.0 }],
            seed: 0,
            threads: 2,
            hardware_units: BTreeMap::new(),
            platform_counters: BTreeMap::new(),
            energy: Vec::new(),
            host_energy: None,
            copies: 1,
            cost: None,
            metrics: None,
            predictions: Vec::new(),
        }
    }

    #[test]
    fn json_keeps_the_stable_field_names() {
        let v = serde_json::to_value(record()).unwrap();
        for key in [
            "network",
            "backend",
            "images",
            "ann_accuracy_pct",
            "snn_accuracy_pct",
            "conversion_loss_pp",
            "bio_ms_per_image",
            "wall_s_per_image",
            "synaptic_events_per_image",
            "spikes_per_image",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["spikes_per_image"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn csv_has_one_row_per_record_and_matching_columns() {
        let csv = to_csv(&[record(), record()]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        let cols = CSV_HEADER.split(',').count();
        // the conversion text contains a comma and is quoted; then units and counters
        assert!(lines[1].ends_with("\"global, max_weight 0.015\",,,1,,,,,"), "{}", lines[1]);
        assert_eq!(lines[1].replace("\"global, max_weight 0.015\"", "x").split(',').count(), cols);
        let mut r = record();
        r.hardware_units.insert(UnitKind::Core, 15);
        r.hardware_units.insert(UnitKind::Chip, 1);
        r.platform_counters.insert(Counter::TickOverruns, 3);
        let csv = to_csv(&[r.clone()]);
        assert!(csv.lines().nth(1).unwrap().ends_with(",chip=1;core=15,tick_overruns=3,1,,,,,"), "{csv}");
        let t = platform_table(&[record(), r]);
        assert_eq!(t.lines().count(), 3, "{t}");
        assert!(t.contains("| 1 chip, 15 core | tick_overruns 3 |"), "{t}");
        assert!(platform_table(&[record()]).is_empty());
    }

    fn costed_record() -> Record {
        let at = |copies: usize, t: f64, e: f64| crate::CostAt {
            copies,
            run_bio_ms: 550.0,
            run_time_s: Some(t * 100.0),
            run_time_sd_s: 0.0,
            time_per_inference_s: Some(t),
            energy_per_inference: vec![spikeport_energy::EnergyEstimate {
                profile: "SpiNN-5".into(),
                kind: spikeport_energy::ProfileKind::Measured,
                energy_j: e,
                sd_j: e / 10.0,
                images: 1.0,
                terms: Vec::new(),
                assumptions: Vec::new(),
            }],
            hardware_units: BTreeMap::new(),
        };
        let mut r = record();
        r.copies = 4;
        r.cost = Some(crate::CostOfInference {
            clock: "SpiNNaker real time".into(),
            images: 100,
            copies_setting: 4,
            copies_max: 8,
            binding_constraint: None,
            at_one: at(1, 0.5, 2.0),
            at_setting: at(4, 0.125, 0.5),
            at_max: at(8, 0.0625, 0.25),
            curve: Vec::new(),
            setup_s: 0.0,
        });
        r
    }

    #[test]
    fn csv_carries_the_cost_at_the_cells_copies() {
        let csv = to_csv(&[costed_record()]);
        let row = csv.lines().nth(1).unwrap();
        assert!(row.ends_with(",4,8,0.125,0.5,0.05,SpiNN-5"), "{row}");
    }

    #[test]
    fn cost_table_has_a_row_per_costed_record() {
        let t = cost_table(&[record(), costed_record()]);
        assert_eq!(t.lines().count(), 3, "{t}");
        let row = t.lines().nth(2).unwrap();
        assert!(row.starts_with("| nas63 | fast | 4 / 8 | images (100) |"), "{row}");
        assert!(row.contains("| 500.0 ms · 125.0 ms · 62.50 ms |"), "{row}");
        assert!(row.contains("| 2.000 J ± 200.0 mJ · 500.0 mJ ± 50.00 mJ · 250.0 mJ ± 25.00 mJ |"), "{row}");
        assert!(row.contains("| SpiNN-5; SpiNNaker real time |"), "{row}");
    }

    #[test]
    fn markdown_table_rows() {
        let t = markdown_table(&[record()]);
        assert_eq!(t.lines().count(), 3);
        assert!(t.contains("| nas63 | fast | 100 | 97.00 | 96.50 | 0.50 |"));
    }

    #[test]
    fn atomic_write_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.json");
        write_json(&p, &[record()]).unwrap();
        let back: Vec<Record> = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(back, vec![record()]);
        assert!(!dir.path().join("sub/out.json.tmp").exists());
    }
}
