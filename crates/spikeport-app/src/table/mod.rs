//! The paper's full results table: networks × platforms with ANN and SNN accuracy,
//! conversion loss, accuracy after hardware-in-the-loop training (analog platforms),
//! modelled time and energy per inference (± SD, with sources), synaptic events and spikes
//! per inference. Cells a platform cannot run say why.
//!
//! [`run_table`] runs the cells one after another, keeps each finished [`Cell`] in a
//! [`CellStore`] under its fingerprint (network and platform; model, data, platform
//! settings, image counts, seed, HIL settings) and reuses the cells the store already holds
//! with the same fingerprint, so an interrupted run resumes where it stopped
//! ([`run_table_to_file`], on a [`RecordLog`] file). [`results_markdown`] renders the table.

use std::path::Path;

use serde::{Deserialize, Serialize};
use spikeport_ann::load_zoo;
use spikeport_bench::{run_cell, BackendSetup, BenchError, Conversion, Progress, Record};
use spikeport_convert::{ConvertError, SweepSettings};
use spikeport_data::Mnist;
use spikeport_hil::{Control, HilEvent};
use spikeport_records::{Fingerprint, RecordError, RecordLog};
use spikeport_snn::BackendError;

use crate::benchmark::does_not_run;
use crate::experiment::{hil_on_chip, unknown, ExperimentError, HilPlan};
use crate::registry::{deployment_for, family_of, platform, Family, HilPresentation, PLATFORMS};

pub use crate::registry::{ANALOG_SWEEP_US, DIGITAL_SWEEP_US};
pub use report::{
    copies_series, cost_markdown, energy_points, energy_text, findings_markdown, records, results_markdown,
};

mod report;

/// What to run. Every field has a default ([`TableConfig::default`]) that finishes in
/// about 20 minutes on 2 cores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableConfig {
    /// Zoo networks (rows), default all five.
    pub networks: Vec<String>,
    /// Platforms (columns), names from [`PLATFORMS`]; default the paper's six rows:
    /// reference (NEST), fast (GeNN CPU), gpu (GeNN GPU), spinnaker, brainscales, spikey.
    pub platforms: Vec<String>,
    /// Test images on `fast` and the other pure software simulators, default 10,000.
    pub images: usize,
    /// Test images on the reference simulator, default 10,000.
    pub reference_images: usize,
    /// Test images on the GPU, default 500 (bit-identical to `fast`, whose 10,000 images
    /// give the accuracy; a software Vulkan driver is slow).
    pub gpu_images: usize,
    /// Test images on the hardware models (SpiNNaker, BrainScaleS, Spikey), default 500.
    pub hardware_images: usize,
    /// Training images each sweep of the weight scale uses, default 500 (200 on hardware
    /// models, see [`TableConfig::hardware_calibration_images`]).
    pub calibration_images: usize,
    /// Training images of the sweeps on the hardware models, default 200.
    pub hardware_calibration_images: usize,
    /// Hardware-in-the-loop training on the analog platforms.
    pub hil: HilSettings,
    /// Images per simulated batch, default 256.
    pub batch: usize,
    /// Seed of deployments (chip seed of the analog models), sweeps and HIL, default 0.
    pub seed: u64,
}

/// Hardware-in-the-loop settings of the table (the platform's paper setting for batch size,
/// learning rate and input; fewer epochs and images by default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HilSettings {
    /// Train in the loop at all, default true.
    pub enabled: bool,
    /// Epochs, default 1 (the paper: 5).
    pub epochs: usize,
    /// Training images, default 2,000 (the paper: 60,000).
    pub train_images: usize,
    /// HIL setting, default `"test"` (train with the cell's presentation); the paper's is
    /// `"paper"`: SNABSuite's ITL rules, Spikey trained and tested with its shorter
    /// 180 ms / 70 Hz presentation (the cell's "after HIL" then also gives the accuracy
    /// before HIL with it, [`HilOutcome::before_pct`]); see [`HilPresentation`].
    pub presentation: HilPresentation,
}

impl Default for HilSettings {
    fn default() -> Self {
        Self { enabled: true, epochs: 1, train_images: 2000, presentation: HilPresentation::Test }
    }
}

impl Default for TableConfig {
    fn default() -> Self {
        Self {
            networks: spikeport_ann::ZOO_NAMES.iter().map(|s| s.to_string()).collect(),
            platforms: ["reference", "fast", "gpu", "spinnaker", "brainscales", "spikey"]
                .map(String::from)
                .to_vec(),
            images: 10_000,
            reference_images: 10_000,
            gpu_images: 500,
            hardware_images: 500,
            calibration_images: 500,
            hardware_calibration_images: 200,
            hil: HilSettings::default(),
            batch: 256,
            seed: 0,
        }
    }
}

impl TableConfig {
    /// Checks names and counts.
    ///
    /// **Errors** with [`TableError::Config`] naming the bad field, or
    /// [`TableError::Experiment`] for an unknown network or platform (with the closest
    /// known name).
    pub fn check(&self) -> Result<(), TableError> {
        for n in &self.networks {
            if !spikeport_ann::ZOO_NAMES.contains(&n.as_str()) {
                return Err(unknown("network", n, &spikeport_ann::ZOO_NAMES).into());
            }
        }
        for p in &self.platforms {
            if !PLATFORMS.contains(&p.as_str()) {
                return Err(unknown("platform", p, &PLATFORMS).into());
            }
        }
        let counts = [
            ("images", self.images),
            ("reference_images", self.reference_images),
            ("gpu_images", self.gpu_images),
            ("hardware_images", self.hardware_images),
            ("calibration_images", self.calibration_images),
            ("hardware_calibration_images", self.hardware_calibration_images),
            ("batch", self.batch),
            ("hil.epochs", self.hil.epochs),
            ("hil.train_images", self.hil.train_images),
        ];
        for (name, v) in counts {
            if v == 0 {
                return Err(TableError::Config { name, reason: "must be ≥ 1".into() });
            }
        }
        if self.networks.is_empty() || self.platforms.is_empty() {
            return Err(TableError::Config { name: "networks/platforms", reason: "nothing to run".into() });
        }
        for (name, list) in [("networks", &self.networks), ("platforms", &self.platforms)] {
            if let Some((i, dup)) = list.iter().enumerate().find(|(i, x)| list[..*i].contains(x)) {
                return Err(TableError::Config {
                    name,
                    reason: format!(
                        "{dup:?} is listed twice (entries {} and {})",
                        list.iter().position(|x| x == dup).unwrap_or(0) + 1,
                        i + 1
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Errors of the table run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A setting is invalid.
    #[error("invalid `{name}`: {reason}")]
    Config {
        /// The setting.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// An unknown name.
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    /// A cell failed.
    #[error(transparent)]
    Bench(#[from] BenchError),
    /// Hardware-in-the-loop training failed.
    #[error(transparent)]
    Hil(#[from] spikeport_hil::HilError),
    /// Data could not be loaded.
    #[error(transparent)]
    Data(#[from] spikeport_data::DataError),
    /// The model could not be loaded or evaluated.
    #[error(transparent)]
    Ann(#[from] spikeport_ann::AnnError),
    /// Conversion failed.
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// A backend failed outside a cell.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Encoding or readout failed.
    #[error(transparent)]
    Snn(#[from] spikeport_snn::SnnError),
    /// A record file of cells could not be read, written or resumed.
    #[error(transparent)]
    Records(#[from] RecordError),
}

/// Accuracy after hardware-in-the-loop training on the cell's chip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HilOutcome {
    /// Test accuracy after training, same images as the cell, percent.
    pub accuracy_pct: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// Training images.
    pub train_images: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Host wall time of training and the test run, s.
    pub wall_s: f64,
    /// The presentation the accuracies before and after HIL were measured with, where it is
    /// not the cell's (the paper's HIL setting tests with its training presentation,
    /// [`spikeport_platform::HilSetting::test_encoder`]); `None`: the cell's.
    #[serde(default)]
    pub test_encoder: Option<spikeport_snn::Encoder>,
    /// Test accuracy before HIL on the same chip and images, with [`HilOutcome::test_encoder`]
    /// where it is set, percent (`None` in cells written before it was recorded).
    #[serde(default)]
    pub before_pct: Option<f64>,
}

/// One cell of the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Zoo network.
    pub network: String,
    /// Platform name (one of [`PLATFORMS`]).
    pub platform: String,
    /// The result, or why the network cannot run there.
    pub outcome: Outcome,
}

/// A cell's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The cell ran.
    Done {
        /// The benchmark record (before HIL on analog platforms).
        record: Box<Record>,
        /// Accuracy after HIL on analog platforms when enabled.
        hil: Option<HilOutcome>,
    },
    /// The network does not fit the platform or uses something it lacks.
    DoesNotRun {
        /// The platform's reason, e.g. "needs 2,410 neurons, Spikey has 384".
        reason: String,
    },
}

/// What [`run_table`] reports while it works.
#[derive(Clone, Debug)]
pub enum TableEvent<'a> {
    /// A cell starts (`index` of `total`, counting skipped ones).
    CellStarted {
        /// Network.
        network: &'a str,
        /// Platform.
        platform: &'a str,
        /// Images it will simulate.
        images: usize,
    },
    /// Images simulated in the running cell.
    Images(Progress),
    /// HIL batches done in the running cell.
    HilBatch {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// A cell finished (or was found finished and skipped).
    CellDone {
        /// The cell.
        cell: &'a Cell,
        /// Whether it came from `done` rather than being run now.
        resumed: bool,
    },
}

/// Runs every network × platform cell of `cfg` on `mnist` (test images for the cells,
/// training images for sweeps and HIL) in row order, reusing the cells in `done` (same
/// network and platform) instead of running them again. `on_event` sees progress and
/// every finished cell (append it to a results file there).
///
/// Per platform: `fast` and the other digital platforms sweep the weight scale on
/// themselves ([`DIGITAL_SWEEP_US`]); `reference` runs after them and reuses the scale swept
/// on the first digital platform of the row (a sweep on the reference simulator would cost
/// more than the run; it sweeps only when the row has no digital platform); `gpu`, which
/// runs `fast`'s semantics (bit-identical on lavapipe), reuses the scale of a `fast` swept
/// before it in the row (a sweep on a software Vulkan driver would dominate the table);
/// the analog platforms sweep [`ANALOG_SWEEP_US`] on their own chip in their own paper
/// setting, then train in the loop on the same chip and are tested again.
///
/// **Errors** for a bad config, missing data or a failure that is not "does not fit".
pub fn run_table(
    cfg: &TableConfig,
    mnist: &Mnist,
    store: &mut dyn CellStore,
    on_event: &mut dyn FnMut(TableEvent<'_>),
) -> Result<Vec<Cell>, TableError> {
    cfg.check()?;
    let data_sha256 = data_sha256(mnist);
    let mut cells = Vec::new();
    for name in &cfg.networks {
        let model = load_zoo(name)?;
        let plans = cfg
            .platforms
            .iter()
            .map(|pname| CellPlan::new(cfg, mnist, &data_sha256, &model, name, pname))
            .collect::<Result<Vec<_>, _>>()?;
        // the weight scale the first digital platform of the row swept (maybe in an earlier,
        // interrupted run), for the reference simulator (and, if it was `fast`, the GPU)
        let mut first_digital = None;
        for plan in plans.iter().filter(|p| p.platform.family == Family::Digital) {
            if let Some(c) = store.lookup(&plan.fingerprint)? {
                first_digital = Some(c);
                break;
            }
        }
        let mut swept: Option<(f64, f64)> = first_digital.as_ref().and_then(|c| match &c.outcome {
            Outcome::Done { record, .. } => record.max_weight.map(|w| (w, record.max_freq_hz)),
            Outcome::DoesNotRun { .. } => None,
        });
        let mut swept_on_fast = swept.is_some() && first_digital.is_some_and(|c| c.platform == "fast");
        // the reference simulator runs after the others, so it can reuse their weight scale
        // instead of sweeping itself; the row keeps the configured order
        let mut order: Vec<usize> = (0..cfg.platforms.len()).collect();
        order.sort_by_key(|&i| family_of(&cfg.platforms[i]) == Some(Family::Reference));
        let mut row: Vec<Option<Cell>> = vec![None; cfg.platforms.len()];
        for i in order {
            let pname = &cfg.platforms[i];
            let plan = &plans[i];
            if let Some(c) = store.lookup(&plan.fingerprint)? {
                on_event(TableEvent::CellDone { cell: &c, resumed: true });
                row[i] = Some(c);
                continue;
            }
            let p = &plan.platform;
            let family = p.family;
            let images = plan.images;
            let (conversion, encoder) = match (family, swept) {
                (Family::Reference, Some((w, f))) => {
                    (Conversion::Global { max_weight: w }, p.encoder.with_max_freq(f)?)
                }
                (_, Some((w, f))) if pname == "gpu" && swept_on_fast => {
                    (Conversion::Global { max_weight: w }, p.encoder.with_max_freq(f)?)
                }
                _ => (
                    Conversion::Sweep {
                        settings: SweepSettings {
                            max_weights: if family == Family::Analog {
                                ANALOG_SWEEP_US.to_vec()
                            } else {
                                DIGITAL_SWEEP_US.to_vec()
                            },
                            max_freqs_hz: Vec::new(),
                            seed: cfg.seed,
                        },
                        calibration_images: plan.calibration_images,
                    },
                    p.encoder,
                ),
            };
            on_event(TableEvent::CellStarted { network: name, platform: pname, images });
            let (copies, settings) = deployment_for(p, name);
            let mut setup = BackendSetup::from_platform(
                p,
                p.backend_for(&settings)?,
                conversion,
                cfg.batch,
                cfg.seed,
                copies,
            );
            setup.encoder = encoder;
            // priced for the paper's run of the whole test set, whatever share was simulated
            setup.priced_images = Some(mnist.test.len());
            let test = mnist.test.take(images)?;
            let result =
                run_cell(&model, &test, &mnist.train, &setup, &mut |pr| on_event(TableEvent::Images(pr)));
            let outcome = match result {
                Ok(record) => {
                    if family == Family::Digital && swept.is_none() {
                        swept = record.max_weight.map(|w| (w, record.max_freq_hz));
                        swept_on_fast = pname == "fast";
                    }
                    let hil = match (family, record.max_weight) {
                        (Family::Analog, Some(w)) if cfg.hil.enabled => {
                            Some(hil_cell(cfg, mnist, &model, p, &setup, w, &test, on_event)?)
                        }
                        _ => None,
                    };
                    Outcome::Done { record: Box::new(record), hil }
                }
                Err(e) => match does_not_run(&e) {
                    Some(why) => Outcome::DoesNotRun { reason: why.to_string() },
                    None => return Err(e.into()),
                },
            };
            let cell = Cell { network: name.clone(), platform: pname.clone(), outcome };
            // stored before anything is reported
            store.store(&plan.fingerprint, &cell)?;
            on_event(TableEvent::CellDone { cell: &cell, resumed: false });
            row[i] = Some(cell);
        }
        cells.extend(row.into_iter().flatten());
    }
    Ok(cells)
}

/// The kind of the table's record files ([`spikeport_records`]).
pub const CELL_KIND: &str = "table-cell";

/// Where [`run_table`] finds finished cells and keeps new ones.
pub trait CellStore {
    /// The finished cell with `fp`'s key, if it was made with the same settings.
    ///
    /// **Errors** with [`RecordError::Mismatch`] if it was made with other settings.
    fn lookup(&self, fp: &Fingerprint) -> Result<Option<Cell>, RecordError>;
    /// Keeps a finished cell.
    ///
    /// **Errors** if it cannot be kept.
    fn store(&mut self, fp: &Fingerprint, cell: &Cell) -> Result<(), RecordError>;
}

/// A record file of cells, resumable ([`RecordLog::open`]).
impl CellStore for RecordLog<Cell> {
    fn lookup(&self, fp: &Fingerprint) -> Result<Option<Cell>, RecordError> {
        RecordLog::lookup(self, fp).map(Option::<&Cell>::cloned)
    }
    fn store(&mut self, fp: &Fingerprint, cell: &Cell) -> Result<(), RecordError> {
        self.append(fp, cell)
    }
}

/// Cells kept in memory only: a run that cannot resume.
#[derive(Clone, Debug, Default)]
pub struct MemoryCells(pub Vec<(Fingerprint, Cell)>);

impl CellStore for MemoryCells {
    fn lookup(&self, fp: &Fingerprint) -> Result<Option<Cell>, RecordError> {
        Ok(self.0.iter().find(|(f, _)| f == fp).map(|(_, c)| c.clone()))
    }
    fn store(&mut self, fp: &Fingerprint, cell: &Cell) -> Result<(), RecordError> {
        self.0.push((fp.clone(), cell.clone()));
        Ok(())
    }
}

/// SHA-256 of the test and training images and labels.
fn data_sha256(mnist: &Mnist) -> String {
    let mut bytes = Vec::new();
    for set in [&mnist.test, &mnist.train] {
        bytes.extend_from_slice(&(set.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&(set.pixels() as u64).to_le_bytes());
        bytes.extend(set.images().iter().copied());
        bytes.extend_from_slice(set.labels());
    }
    spikeport_records::sha256_hex(&bytes)
}

/// A cell before it runs: its platform, image counts and fingerprint.
struct CellPlan {
    platform: crate::registry::Platform,
    images: usize,
    calibration_images: usize,
    fingerprint: Fingerprint,
}

impl CellPlan {
    fn new(
        cfg: &TableConfig,
        mnist: &Mnist,
        data_sha256: &str,
        model: &spikeport_ann::Model,
        name: &str,
        pname: &str,
    ) -> Result<Self, TableError> {
        let p = platform(pname)?;
        let family = p.family;
        let images = match family {
            Family::Reference => cfg.reference_images,
            _ if pname == "gpu" => cfg.gpu_images,
            _ if pname == "fast" || pname == "fast-genn" || pname == "fast-01ms" => cfg.images,
            _ => cfg.hardware_images,
        }
        .min(mnist.test.len());
        let calibration_images = match family {
            Family::Reference => cfg.calibration_images,
            _ if images == cfg.images.min(mnist.test.len()) => cfg.calibration_images,
            _ => cfg.hardware_calibration_images,
        };
        let (copies, settings) = deployment_for(&p, name);
        let model_bytes = model.content_bytes();
        let fingerprint = Fingerprint::new()
            .key("network", name)
            .key("platform", pname)
            .setting_hash("model_sha256", &model_bytes)
            .setting_hash("platform_sha256", p.settings_text(&settings).as_bytes())
            .setting("images", images)
            .setting("calibration_images", calibration_images)
            .setting("test_set_images", mnist.test.len())
            .setting("data_sha256", data_sha256)
            .setting("batch", cfg.batch)
            .setting("seed", cfg.seed)
            .setting("copies", format!("{copies:?}"))
            .setting("hil", (family == Family::Analog && cfg.hil.enabled).then_some(&cfg.hil))
            .setting("spikeport_version", env!("CARGO_PKG_VERSION"));
        Ok(Self { platform: p, images, calibration_images, fingerprint })
    }
}

/// Trains in the loop on the cell's chip (same seed) and tests again on the same images.
#[allow(clippy::too_many_arguments)]
fn hil_cell(
    cfg: &TableConfig,
    mnist: &Mnist,
    model: &spikeport_ann::Model,
    platform: &crate::registry::Platform,
    setup: &BackendSetup,
    max_weight: f64,
    test: &spikeport_data::Dataset,
    on_event: &mut dyn FnMut(TableEvent<'_>),
) -> Result<HilOutcome, TableError> {
    let mut plan = HilPlan::new(platform, cfg.hil.presentation)
        .map_err(|e| TableError::Config { name: "hil.presentation", reason: e.to_string() })?;
    plan.config.epochs = cfg.hil.epochs;
    plan.config.seed = cfg.seed;
    let train_set = mnist.train.take(cfg.hil.train_images.min(mnist.train.len()))?;
    let (xtr, ytr) = (model.features(&train_set)?, train_set.labels());
    let xt = model.features(test)?;
    let total = plan.total_batches(ytr.len());
    let mut batches = 0usize;
    let r = hil_on_chip(
        &plan,
        &model.network,
        max_weight,
        cfg.seed,
        (xtr.view(), ytr),
        (xt.view(), test.labels()),
        cfg.batch,
        None,
        &mut |e| {
            if matches!(e, HilEvent::Batch { .. }) {
                batches += 1;
                on_event(TableEvent::HilBatch { done: batches, total });
            }
            Control::Continue
        },
    )?;
    Ok(HilOutcome {
        accuracy_pct: r.after.accuracy_pct,
        epochs: plan.config.epochs,
        train_images: ytr.len(),
        batch_size: plan.config.batch_size,
        learning_rate: plan.config.lr,
        wall_s: r.wall_s,
        test_encoder: Some(plan.test_encoder).filter(|e| *e != setup.encoder),
        before_pct: Some(r.before.accuracy_pct),
    })
}

/// [`run_table`] with a progress bar on standard error, every finished cell kept in the
/// record file `cells_path` ([`spikeport_records`]: written to `<cells_path>.partial`, which
/// replaces `cells_path` when the table is done). With `resume`, the cells already recorded
/// there (an unfinished run's, else the finished file's) are reused when their fingerprint
/// matches, and a cell recorded with other settings is an error naming the setting; a torn
/// last line is cut off. Returns the cells and how many were resumed.
///
/// **Errors** as [`run_table`], or with [`TableError::Records`] if the cells file cannot be
/// read or written, does not match, or a fresh run finds an unfinished one.
pub fn run_table_to_file(
    cfg: &TableConfig,
    mnist: &Mnist,
    cells_path: &Path,
    resume: bool,
) -> Result<(Vec<Cell>, usize), TableError> {
    cfg.check()?;
    let mut log = RecordLog::<Cell>::open(cells_path, CELL_KIND, resume)?;
    let pb = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{prefix:>30} [{bar:30}] {pos}/{len} {msg} {elapsed_precise}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    let mut resumed_cells = 0;
    let cells = run_table(cfg, mnist, &mut log, &mut |e| match e {
        TableEvent::CellStarted { network, platform, images } => {
            pb.reset();
            pb.set_length(images as u64);
            pb.set_message("images");
            pb.set_prefix(format!("{network} on {platform}"));
        }
        TableEvent::Images(p) => pb.set_position(p.done as u64),
        TableEvent::HilBatch { done, total } => {
            pb.set_length(total as u64);
            pb.set_message("HIL batches");
            pb.set_position(done as u64);
        }
        TableEvent::CellDone { cell, resumed } => {
            resumed_cells += usize::from(resumed);
            let how = if resumed { " (resumed)" } else { "" };
            pb.suspend(|| eprintln!("{} on {}: done{how}", cell.network, cell.platform));
        }
    })?;
    pb.finish_and_clear();
    log.finish()?;
    Ok((cells, resumed_cells))
}

/// Reads the cells of a record file written by [`run_table_to_file`] (finished, or the
/// `.partial` file of an unfinished run), ignoring a torn last line.
///
/// **Errors** with [`TableError::Records`] if the file cannot be read, is not a file of
/// table cells or holds a malformed line.
pub fn read_cells(path: &Path) -> Result<Vec<Cell>, TableError> {
    Ok(spikeport_records::read::<Cell>(path, CELL_KIND)?.into_iter().map(|e| e.record).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_or_platform_listed_twice_is_refused() {
        let twice = TableConfig {
            networks: vec!["nas63".into(), "diehl".into(), "nas63".into()],
            ..TableConfig::default()
        };
        let err = twice.check().unwrap_err().to_string();
        assert!(err.contains("\"nas63\" is listed twice (entries 1 and 3)"), "{err}");
        let twice = TableConfig { platforms: vec!["fast".into(), "fast".into()], ..TableConfig::default() };
        assert!(twice.check().unwrap_err().to_string().contains("platforms"));
        assert!(TableConfig::default().check().is_ok());
    }
}
