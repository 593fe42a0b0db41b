//! The paper's full results table: networks × platforms with ANN and SNN accuracy,
//! conversion loss, accuracy after hardware-in-the-loop training (analog platforms),
//! modelled time and energy per inference (± SD, with sources), synaptic events and spikes
//! per inference. Cells a platform cannot run say why.
//!
//! [`run_table`] runs the cells one after another and hands each finished [`Cell`] to a
//! callback (to append it to a results file), and skips cells it is given as already done,
//! so an interrupted run resumes where it stopped ([`read_cells`]). [`results_markdown`]
//! renders the table.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use spikeport_ann::load_zoo;
use spikeport_bench::{run_cell, BackendSetup, BenchError, Conversion, Progress, Record};
use spikeport_convert::{ConvertError, SweepSettings};
use spikeport_data::Mnist;
use spikeport_hil::{Control, HilEvent};
use spikeport_snn::BackendError;

use crate::benchmark::does_not_run;
use crate::experiment::{hil_on_chip, unknown, ExperimentError, HilPlan};
use crate::registry::{deployment_for, family_of, platform, Family, HilPresentation, PLATFORMS};

pub use crate::registry::{ANALOG_SWEEP_US, DIGITAL_SWEEP_US};

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
    /// Reading or writing a results file failed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
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
    done: &[Cell],
    on_event: &mut dyn FnMut(TableEvent<'_>),
) -> Result<Vec<Cell>, TableError> {
    cfg.check()?;
    let mut cells = Vec::new();
    for name in &cfg.networks {
        let model = load_zoo(name)?;
        // the weight scale the first digital platform of the row swept (maybe in an earlier,
        // interrupted run), for the reference simulator (and, if it was `fast`, the GPU)
        let first_digital = cfg
            .platforms
            .iter()
            .filter(|p| family_of(p) == Some(Family::Digital))
            .find_map(|p| done.iter().find(|c| &c.network == name && &c.platform == p));
        let mut swept: Option<(f64, f64)> = first_digital.and_then(|c| match &c.outcome {
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
            if let Some(c) = done.iter().find(|c| &c.network == name && &c.platform == pname) {
                on_event(TableEvent::CellDone { cell: c, resumed: true });
                row[i] = Some(c.clone());
                continue;
            }
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
                        calibration_images,
                    },
                    p.encoder,
                ),
            };
            on_event(TableEvent::CellStarted { network: name, platform: pname, images });
            let (copies, settings) = deployment_for(&p, name);
            let mut setup = BackendSetup::from_platform(
                &p,
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
                            Some(hil_cell(cfg, mnist, &model, &p, &setup, w, &test, on_event)?)
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
            on_event(TableEvent::CellDone { cell: &cell, resumed: false });
            row[i] = Some(cell);
        }
        cells.extend(row.into_iter().flatten());
    }
    Ok(cells)
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

/// [`run_table`] with a progress bar on standard error, every finished cell appended to
/// `cells_path` ([`append_cell`]) and, with `resume`, the cells already in that file reused
/// ([`read_cells`]); without `resume` the file is started afresh. Returns the cells and how
/// many were resumed.
///
/// **Errors** as [`run_table`], or with [`TableError::File`] if the cells file cannot be
/// read, removed or appended to.
pub fn run_table_to_file(
    cfg: &TableConfig,
    mnist: &Mnist,
    cells_path: &Path,
    resume: bool,
) -> Result<(Vec<Cell>, usize), TableError> {
    let file_err = |e: std::io::Error| TableError::File {
        path: cells_path.display().to_string(),
        reason: e.to_string(),
    };
    let done = if resume { read_cells(cells_path)? } else { Vec::new() };
    if !resume && cells_path.exists() {
        std::fs::remove_file(cells_path).map_err(file_err)?;
    }
    let pb = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{prefix:>30} [{bar:30}] {pos}/{len} {msg} {elapsed_precise}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    let mut write_error = None;
    let cells = run_table(cfg, mnist, &done, &mut |e| match e {
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
            if !resumed {
                if let Err(err) = append_cell(cells_path, cell) {
                    write_error.get_or_insert(err);
                }
            }
            let how = if resumed { " (resumed)" } else { "" };
            pb.suspend(|| eprintln!("{} on {}: done{how}", cell.network, cell.platform));
        }
    })?;
    pb.finish_and_clear();
    match write_error {
        Some(e) => Err(e),
        None => Ok((cells, done.len())),
    }
}

/// Reads the cells of a JSON-lines results file written by [`append_cell`]; a missing file
/// is no cells, and a torn last line (a run killed while writing it) is ignored.
///
/// **Errors** with [`TableError::File`] if the file cannot be read or a line other than
/// the last is not a cell.
pub fn read_cells(path: &Path) -> Result<Vec<Cell>, TableError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TableError::File { path: path.display().to_string(), reason: e.to_string() }),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut cells = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<Cell>(line) {
            Ok(c) => cells.push(c),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => {
                return Err(TableError::File {
                    path: path.display().to_string(),
                    reason: format!("line {}: not a table cell: {e}", i + 1),
                })
            }
        }
    }
    Ok(cells)
}

/// Appends `cell` as one JSON line to `path` (created with its folder if missing) and
/// flushes it to disk.
///
/// **Errors** with [`TableError::File`] if writing fails.
pub fn append_cell(path: &Path, cell: &Cell) -> Result<(), TableError> {
    let err = |e: &dyn std::fmt::Display| TableError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
    }
    let mut line = serde_json::to_string(cell).map_err(|e| err(&e))?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| err(&e))?;
    f.write_all(line.as_bytes()).map_err(|e| err(&e))?;
    f.sync_all().map_err(|e| err(&e))
}

fn sig(x: f64) -> String {
    spikeport_energy::model::si(x, "J")
}

/// One point per finished cell for [`spikeport_plot::energy_vs_accuracy`]: SNN accuracy
/// (before HIL) and the energy per inference of the platform's profile, or the host's
/// (labelled `PLATFORM (host)`) for platforms without a profile.
pub fn energy_points(cells: &[Cell]) -> Vec<spikeport_plot::EnergyPoint> {
    cells
        .iter()
        .filter_map(|c| {
            let Outcome::Done { record: r, .. } = &c.outcome else { return None };
            let (platform, energy_j, energy_sd_j) = match r.energy.first() {
                Some(e) => (e.profile.clone(), e.energy_j, e.sd_j),
                None => {
                    let (m, sd) = r.host_energy_per_image()?;
                    (format!("{} (host)", c.platform), m, sd)
                }
            };
            Some(spikeport_plot::EnergyPoint {
                network: c.network.clone(),
                platform,
                accuracy_pct: r.snn_accuracy_pct,
                energy_j,
                energy_sd_j,
            })
        })
        .collect()
}

/// The energy-per-inference curve over network copies of every finished cell with an energy
/// profile (the first profile's mean), for [`spikeport_plot::energy_vs_copies`].
pub fn copies_series(cells: &[Cell]) -> Vec<spikeport_plot::CopiesSeries> {
    cells
        .iter()
        .filter_map(|c| {
            let Outcome::Done { record: r, .. } = &c.outcome else { return None };
            let cost = r.cost.as_ref()?;
            let points: Vec<(f64, f64)> = cost
                .curve
                .iter()
                .filter_map(|at| at.energy_per_inference.first().map(|e| (at.copies as f64, e.energy_j)))
                .filter(|&(_, e)| e > 0.0)
                .collect();
            (!points.is_empty()).then(|| spikeport_plot::CopiesSeries {
                network: c.network.clone(),
                platform: c.platform.clone(),
                points,
            })
        })
        .collect()
}

/// The cost of inference of the finished cells as Markdown
/// ([`spikeport_bench::cost_table`]).
pub fn cost_markdown(cells: &[Cell]) -> String {
    spikeport_bench::cost_table(&records(cells))
}

/// The records of the finished cells.
pub fn records(cells: &[Cell]) -> Vec<Record> {
    cells
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Done { record, .. } => Some((**record).clone()),
            Outcome::DoesNotRun { .. } => None,
        })
        .collect()
}

/// Energy per inference of a record as `mean ± SD` with the profile's name and kind; the
/// host's energy for platforms without a profile (the reference simulator).
pub fn energy_text(r: &Record) -> String {
    if let Some(e) = r.energy.first() {
        let est = if e.kind == spikeport_energy::ProfileKind::Estimate { ", estimate" } else { "" };
        format!("{} ± {} ({}{est})", sig(e.energy_j), sig(e.sd_j), e.profile)
    } else if let Some((m, sd)) = r.host_energy_per_image() {
        let how = match &r.host_energy {
            Some(h) if h.is_measured() => "host, RAPL",
            _ => "host, assumed power",
        };
        format!("{} ± {} ({how})", sig(m), sig(sd))
    } else {
        "—".into()
    }
}

/// The "after HIL" column: the accuracy, and where HIL tested with a presentation other
/// than the cell's, the accuracy before HIL with it and the presentation.
fn hil_text(h: &HilOutcome) -> String {
    match (h.test_encoder, h.before_pct) {
        (Some(e), Some(b)) => format!(
            "{:.2} (from {b:.2}, both at {} ms / {} Hz)",
            h.accuracy_pct,
            e.duration_ms(),
            e.max_freq_hz()
        ),
        _ => format!("{:.2}", h.accuracy_pct),
    }
}

/// The energy per inference at the most copies that fit, J, under the first profile.
fn energy_at_max(r: &Record) -> Option<(f64, f64, bool)> {
    let e = r.cost.as_ref()?.at_max.energy_per_inference.first()?;
    Some((e.energy_j, e.sd_j, e.kind == spikeport_energy::ProfileKind::Estimate))
}

/// What the finished cells say about the paper's claims, computed from them (so it is
/// regenerated with the table and never quotes a superseded figure): the ordering of the
/// platforms by energy per inference at the most copies that fit, per network; how far the
/// copies bring SpiNNaker's energy per inference down; whether each SpiNNaker run keeps
/// real time under the tick model, or the time-scale factor it needs.
pub fn findings_markdown(cells: &[Cell]) -> String {
    let done: Vec<(&Cell, &Record)> = cells
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Done { record, .. } => Some((c, record.as_ref())),
            Outcome::DoesNotRun { .. } => None,
        })
        .collect();
    let mut s = String::new();
    let mut networks: Vec<&str> = Vec::new();
    for (c, _) in &done {
        if !networks.contains(&c.network.as_str()) {
            networks.push(&c.network);
        }
    }
    let _ = writeln!(
        s,
        "**Platforms ordered by energy per inference at the most copies that fit** (first energy profile; \
         \"estimate\" marks a profile that is not a measurement; the reference simulator has no profile):\n"
    );
    for net in &networks {
        let mut row: Vec<(&str, f64, f64, bool)> = done
            .iter()
            .filter(|(c, _)| c.network == *net)
            .filter_map(|(c, r)| energy_at_max(r).map(|(e, sd, est)| (c.platform.as_str(), e, sd, est)))
            .collect();
        row.sort_by(|a, b| a.1.total_cmp(&b.1));
        if row.is_empty() {
            continue;
        }
        let text: Vec<String> = row
            .iter()
            .map(|(p, e, sd, est)| {
                format!("{p} {} ± {}{}", sig(*e), sig(*sd), if *est { " (estimate)" } else { "" })
            })
            .collect();
        let _ = writeln!(s, "* {net}: {}", text.join(" < "));
    }
    // the paper's claim for Spikey-net: analog < SpiNNaker < the CPU simulator
    let at = |net: &str, p: &str| {
        done.iter().find(|(c, _)| c.network == net && c.platform == p).and_then(|(_, r)| energy_at_max(r))
    };
    if let (Some(spinn), Some(cpu)) = (at("spikey-net", "spinnaker"), at("spikey-net", "fast")) {
        let analog: Vec<(&str, f64)> =
            ["spikey", "brainscales"].iter().filter_map(|p| at("spikey-net", p).map(|e| (*p, e.0))).collect();
        let analog_below = analog.iter().all(|(_, e)| *e < spinn.0);
        let holds = analog_below && !analog.is_empty() && spinn.0 < cpu.0;
        let _ = writeln!(
            s,
            "\n**The paper's ordering for Spikey-net** (analog below SpiNNaker below the CPU simulator, energy per \
             inference at the most copies that fit): **{}** — {}; SpiNNaker {}; CPU simulator (`fast`, GeNN on a \
             Ryzen 2600X) {}. The coefficients are SNABSuite's and were not tuned toward this.",
            if holds { "holds" } else { "does not hold" },
            if analog.is_empty() {
                "no analog cell ran".to_string()
            } else {
                analog.iter().map(|(p, e)| format!("{p} {}", sig(*e))).collect::<Vec<_>>().join(", ")
            },
            sig(spinn.0),
            sig(cpu.0)
        );
    }
    // how far the copies bring SpiNNaker down, and real time under the tick model
    let spinn: Vec<&(&Cell, &Record)> =
        done.iter().filter(|(c, _)| c.platform.starts_with("spinnaker")).collect();
    if !spinn.is_empty() {
        let _ = writeln!(
            s,
            "\n**SpiNNaker: copies and real time.** Energy per inference at one copy and at the most that fit (one \
             board); the busiest core-tick of the run at the cell's setting in ‰ of a real-time tick's cycle \
             budget under the assumed cycle costs (above 1000 ‰ the run needs a time-scale factor of at least \
             load ÷ 1000):\n"
        );
        let _ = writeln!(
            s,
            "| network | platform | copies: setting / max | energy / inference: 1 copy → max (×) | busiest core-tick (‰) | overrun core-ticks | needs time-scale factor |"
        );
        let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|");
        for (c, r) in spinn {
            let Some(cost) = &r.cost else { continue };
            let e1 = cost.at_one.energy_per_inference.first().map(|e| e.energy_j);
            let em = cost.at_max.energy_per_inference.first().map(|e| e.energy_j);
            let load = r.platform_counters.get(&spikeport_snn::Counter::MaxTickLoadPermille).copied();
            let overruns =
                r.platform_counters.get(&spikeport_snn::Counter::TickOverruns).copied().unwrap_or(0);
            let ticks = r.platform_counters.get(&spikeport_snn::Counter::CoreTicks).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "| {} | {} | {} / {} | {} | {} | {} of {} | {} |",
                c.network,
                r.platform,
                cost.copies_setting,
                cost.copies_max,
                match (e1, em) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{} → {} ({:.0}×)", sig(a), sig(b), a / b),
                    _ => "—".into(),
                },
                load.map_or("—".into(), |l| l.to_string()),
                overruns,
                ticks,
                load.map_or("—".into(), |l| if l <= 1000 {
                    "1 (real time)".into()
                } else {
                    format!("{:.2}", l as f64 / 1000.0)
                }),
            );
        }
    }
    s
}

/// The table as Markdown: one row per cell, with the columns of the paper's table, then the
/// energy sources and assumptions used.
pub fn results_markdown(cells: &[Cell]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| network | platform | images | ANN acc. (%) | SNN acc. (%) | conv. loss (pp) | after HIL (%) | \
         modelled time / inference | energy / inference | syn. events / inference | spikes / inference | max_weight (µS) |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
    for c in cells {
        match &c.outcome {
            Outcome::Done { record: r, hil } => {
                let spikes: f64 = r.spikes_per_image.iter().skip(1).sum();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {:.3e} | {:.0} | {} |",
                    c.network,
                    c.platform,
                    r.images,
                    r.ann_accuracy_pct,
                    r.snn_accuracy_pct,
                    r.conversion_loss_pp,
                    hil.as_ref().map_or("—".into(), hil_text),
                    spikeport_energy::model::si(r.hardware_s_per_image, "s"),
                    energy_text(r),
                    r.synaptic_events_per_image,
                    spikes,
                    r.max_weight.map_or("—".into(), |w| w.to_string()),
                );
            }
            Outcome::DoesNotRun { reason } => {
                let _ = writeln!(
                    s,
                    "| {} | {} | — | | | | | | does not run: {reason} | | | |",
                    c.network, c.platform
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "\n### Cost of inference\n\nTime and energy per inference the paper's way: one run of all {} test images \
         with `k` network copies side by side, each on its share; time = the run's modelled time ÷ images, energy = the \
         whole run's energy ÷ images, on the platform's own clock; at one copy (latency), at the cell's setting \
         (SNABSuite's images per copy) and at the most copies that fit (throughput). This host's wall time and \
         energy are apart. Set-up and loading are not included.\n",
        cells
            .iter()
            .find_map(|c| match &c.outcome {
                Outcome::Done { record, .. } => record.cost.as_ref().map(|k| k.images),
                Outcome::DoesNotRun { .. } => None,
            })
            .unwrap_or(10_000)
    );
    s.push_str(&cost_markdown(cells));
    let _ = writeln!(s, "\n### What the cells say\n");
    s.push_str(&findings_markdown(cells));
    // the sources of every energy figure, once per profile
    let mut seen = BTreeSet::new();
    let mut notes = String::new();
    for c in cells {
        if let Outcome::Done { record, .. } = &c.outcome {
            for e in &record.energy {
                if seen.insert(e.profile.clone()) {
                    let _ = writeln!(notes, "* **{}** ({}):", e.profile, e.kind);
                    for t in &e.terms {
                        // "J per spike" → value in J with an SI prefix, then " per spike"
                        let unit = t.term.coefficient_unit();
                        let (base, rest) = unit.split_once(' ').unwrap_or((unit, ""));
                        let _ = writeln!(
                            notes,
                            "  * {}: {} ± {} {rest} — {}",
                            t.term.label(),
                            spikeport_energy::model::si(t.coefficient.value, base),
                            spikeport_energy::model::si(t.coefficient.sd, base),
                            t.coefficient.source
                        );
                    }
                    for a in &e.assumptions {
                        let _ = writeln!(notes, "  * assumption: {a}");
                    }
                }
            }
            if record.energy.is_empty() {
                if let Some(h) = &record.host_energy {
                    if seen.insert(format!("host {}", c.platform)) {
                        let _ = writeln!(notes, "* **host** (`{}`): {}", c.platform, h.method_text());
                    }
                }
            }
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(s, "\nEnergy sources (± is 1 SD):\n");
        s.push_str(&notes);
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use spikeport_bench::{CostAt, CostOfInference};
    use spikeport_energy::{EnergyEstimate, ProfileKind};
    use spikeport_snn::Counter;

    use super::*;

    fn at(copies: usize, energy_j: f64) -> CostAt {
        CostAt {
            copies,
            run_bio_ms: 550.0,
            run_time_s: Some(0.55),
            run_time_sd_s: 0.0,
            time_per_inference_s: Some(0.55 / copies as f64),
            energy_per_inference: vec![EnergyEstimate {
                profile: "p".into(),
                kind: ProfileKind::Measured,
                energy_j,
                sd_j: energy_j / 10.0,
                images: 1.0,
                terms: Vec::new(),
                assumptions: Vec::new(),
            }],
            hardware_units: BTreeMap::new(),
        }
    }

    fn cell(network: &str, platform: &str, one_j: f64, max_j: f64, load_permille: Option<u64>) -> Cell {
        let mut platform_counters = BTreeMap::new();
        if let Some(l) = load_permille {
            platform_counters.insert(Counter::MaxTickLoadPermille, l);
            platform_counters.insert(Counter::TickOverruns, u64::from(l > 1000) * 7);
            platform_counters.insert(Counter::CoreTicks, 1000);
        }
        let record = Record {
            network: network.into(),
            backend: platform.into(),
            platform: platform.into(),
            images: 10,
            ann_accuracy_pct: 90.0,
            snn_accuracy_pct: 89.0,
            conversion_loss_pp: 1.0,
            ann_agreement_pct: 95.0,
            no_decision_pct: 0.0,
            conversion: "global".into(),
            max_weight: Some(0.01),
            neuron_model: "IF_cond_exp".into(),
            max_freq_hz: 120.0,
            duration_ms: 500.0,
            pause_ms: 50.0,
            dt_ms: 1.0,
            bio_ms_per_image: 550.0,
            hardware_s_per_image: 0.55,
            wall_s_per_image: 0.001,
            total_wall_s: 1.0,
            synaptic_events_per_image: 1.0,
            spikes_per_image: vec![1.0, 1.0],
            neuron_updates_per_image: 1.0,
            neurons: 10,
            synapses: 10,
            accuracy_vs_time: Vec::new(),
            seed: 0,
            threads: 1,
            hardware_units: BTreeMap::new(),
            platform_counters,
            energy: Vec::new(),
            host_energy: None,
            copies: 1,
            cost: Some(CostOfInference {
                clock: "c".into(),
                images: 10,
                copies_setting: 1,
                copies_max: 4,
                binding_constraint: None,
                at_one: at(1, one_j),
                at_setting: at(1, one_j),
                at_max: at(4, max_j),
                curve: Vec::new(),
                setup_s: 0.0,
            }),
            metrics: None,
            predictions: Vec::new(),
        };
        Cell {
            network: network.into(),
            platform: platform.into(),
            outcome: Outcome::Done { record: Box::new(record), hil: None },
        }
    }

    #[test]
    fn the_findings_order_the_platforms_and_judge_the_papers_claim() {
        let cells = vec![
            cell("spikey-net", "fast", 0.02, 0.02, None),
            cell("spikey-net", "spinnaker", 12.0, 0.05, Some(800)),
            cell("spikey-net", "spikey", 2e-4, 1e-4, None),
            cell("nas63", "spinnaker", 12.0, 0.1, Some(2500)),
        ];
        let f = findings_markdown(&cells);
        assert!(f.contains("* spikey-net: spikey 100.0 µJ"), "{f}");
        assert!(f.contains("< fast 20.00 mJ"), "{f}");
        // SpiNNaker (0.05 J) is above the CPU simulator (0.02 J): the ordering does not hold
        assert!(f.contains("**does not hold**"), "{f}");
        assert!(f.contains("| spikey-net | spinnaker | 1 / 4 | 12.00 J → 50.00 mJ (240×) | 800 | 0 of 1000 | 1 (real time) |"), "{f}");
        assert!(f.contains("| 2500 | 7 of 1000 | 2.50 |"), "{f}");
        let holds = vec![
            cell("spikey-net", "fast", 0.2, 0.2, None),
            cell("spikey-net", "spinnaker", 12.0, 0.05, Some(800)),
            cell("spikey-net", "spikey", 2e-4, 1e-4, None),
        ];
        assert!(findings_markdown(&holds).contains("**holds**"));
    }
}
