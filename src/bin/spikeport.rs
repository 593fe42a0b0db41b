//! `spikeport`: the command-line tool. Every subcommand reads an optional TOML experiment
//! file (`--config`, keys in docs/cli.md) and command-line flags, which override the file.
//!
//! ```text
//! spikeport run --network nas63 --platform spinnaker --images 1000 --json r.json
//! spikeport sweep --network spikey-net --platform spikey --out sweep.jsonl --resume
//! spikeport hil --platform spikey --epochs 1 --checkpoint hil.ckpt
//! spikeport table --config examples/paper_table.toml --resume
//! spikeport energy --profile spinn5 --records r.json
//! spikeport train --network spikey-net --out /tmp/spikey.npz
//! spikeport convert --network nas63 --platform fast --out nas63.snn.json
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use spikeport::ann::{load_zoo, zoo_net, Model, TrainEvent};
use spikeport::bench::report::write_atomic;
use spikeport::bench::{
    markdown_table, run_cell, to_csv, write_csv, write_json, BackendSetup, Conversion, Record,
};
use spikeport::config::{
    load, ConfigError, ConvertConfig, EnergyConfig, HilRunConfig, RunConfig, ScaleSweep, SweepConfig,
    TrainRunConfig,
};
use spikeport::convert::{
    choose, convert_global, SweepPoint, SweepSettings, DEFAULT_DELAY_MS, DEFAULT_PERCENTILE,
};
use spikeport::data::Mnist;
use spikeport::energy::{profiles, EnergyInput, Profile};
use spikeport::experiment::{platform, run_as_is, unknown, Family};
use spikeport::snn::{
    Counter, DynBackend as _, IfCurrDeltaSubParams, Placement, Recording, SnnNetwork, UnitKind,
};
use spikeport::table::{
    records, results_markdown, run_table_to_file, TableConfig, ANALOG_SWEEP_US, DIGITAL_SWEEP_US,
};

type Error = Box<dyn std::error::Error>;

/// Benchmark spiking networks converted from ANNs on models of neuromorphic hardware.
#[derive(Parser)]
#[command(name = "spikeport", version, about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes.
#[derive(Args)]
struct Global {
    /// Worker threads (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Seed of deployments, sweeps and training (overrides the file).
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Test images (overrides the file).
    #[arg(long, global = true)]
    images: Option<usize>,
    /// TOML experiment file of the subcommand (keys: docs/cli.md).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Write the results as JSON to this file (atomically).
    #[arg(long, global = true)]
    json: Option<PathBuf>,
    /// Write the results as CSV to this file (atomically).
    #[arg(long, global = true)]
    csv: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Train a zoo network with its recipe and save it (.npz).
    Train {
        /// Zoo network.
        #[arg(long)]
        network: Option<String>,
        /// Output file.
        #[arg(long)]
        out: Option<String>,
        /// Epochs (default: the recipe's).
        #[arg(long)]
        epochs: Option<usize>,
    },
    /// Convert a network for a platform (sweeping the weight scale unless given) and write
    /// the SNN as JSON.
    Convert {
        #[command(flatten)]
        model: ModelArgs,
        /// Global weight scale, µS.
        #[arg(long)]
        max_weight: Option<f64>,
        /// Output file.
        #[arg(long)]
        out: Option<String>,
    },
    /// Run one network on one platform over test images.
    Run {
        #[command(flatten)]
        model: ModelArgs,
        /// `paper` or `per-layer`.
        #[arg(long)]
        conversion: Option<String>,
        /// Global weight scale, µS (unset: sweep).
        #[arg(long)]
        max_weight: Option<f64>,
        /// Maximum input rate, Hz.
        #[arg(long)]
        max_freq: Option<f64>,
    },
    /// Sweep the weight scale on training images; resumable.
    Sweep {
        #[command(flatten)]
        model: ModelArgs,
        /// Candidate weights, µS, comma-separated.
        #[arg(long, value_delimiter = ',')]
        max_weights: Option<Vec<f64>>,
        /// JSON-lines file of the finished points.
        #[arg(long, default_value = "results/sweep.jsonl")]
        out: PathBuf,
        /// Keep the points already in `--out` and run only the missing ones.
        #[arg(long)]
        resume: bool,
    },
    /// Hardware-in-the-loop training on an analog platform's chip; resumable from its
    /// checkpoint.
    Hil {
        #[command(flatten)]
        model: ModelArgs,
        /// Epochs.
        #[arg(long)]
        epochs: Option<usize>,
        /// Training images.
        #[arg(long)]
        train_images: Option<usize>,
        /// Checkpoint file: written after every batch, resumed from when it exists.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// The paper's full table (networks × platforms); resumable.
    Table {
        /// Markdown output.
        #[arg(long, default_value = "results/table.md")]
        out: PathBuf,
        /// JSON-lines file of the finished cells.
        #[arg(long, default_value = "results/table.cells.jsonl")]
        cells: PathBuf,
        /// Skip the cells already in `--cells`.
        #[arg(long)]
        resume: bool,
    },
    /// Energy per inference of an activity or of benchmark records under a profile.
    Energy {
        /// Profile: spinn5, spinn3, spikey, brainscales1, genn_cpu_ryzen2600x,
        /// genn_gpu_rtx2070, host_cpu.
        #[arg(long)]
        profile: Option<String>,
        /// `EnergyInput` JSON file.
        #[arg(long)]
        input: Option<String>,
        /// Records JSON file to price, per image.
        #[arg(long)]
        records: Option<String>,
        /// List the profiles with their coefficients and sources.
        #[arg(long)]
        list: bool,
    },
}

/// Which network and platform.
#[derive(Args)]
struct ModelArgs {
    /// Zoo network.
    #[arg(long)]
    network: Option<String>,
    /// A model file (.npz, .json or .onnx) instead of a zoo network.
    #[arg(long)]
    model: Option<String>,
    /// Platform.
    #[arg(long)]
    platform: Option<String>,
}

fn config<T: Default + Serialize + serde::de::DeserializeOwned>(
    path: &Option<PathBuf>,
) -> Result<T, ConfigError> {
    match path {
        Some(p) => load(p),
        None => Ok(T::default()),
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>28} [{bar:30}] {pos}/{len} {msg} {elapsed_precise} ETA {eta}")
    {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_message(what.to_string());
    b
}

/// What a model file or zoo name holds.
enum Loaded {
    /// An ANN to convert.
    Ann(Box<Model>),
    /// A spiking network (a `.nir` file), run as it is.
    Snn { network: Box<SnnNetwork>, bias_input: bool },
}

/// A zoo network, or a model file: `.npz`/`.json` (spikeport's format), `.onnx` (imported,
/// biases folded onto a constant input) or `.nir` (already a spiking network; needs the
/// `nir` feature).
fn load_any(network: &str, model: &Option<String>) -> Result<Loaded, Error> {
    match model {
        Some(path) => match spikeport::io::load_model(Path::new(path))? {
            spikeport::io::LoadedModel::Ann { model, notes } => {
                notes.iter().for_each(|n| eprintln!("{path}: {n}"));
                Ok(Loaded::Ann(model))
            }
            spikeport::io::LoadedModel::Snn { network, bias_input, notes } => {
                notes.iter().for_each(|n| eprintln!("{path}: {n}"));
                Ok(Loaded::Snn { network: Box::new(network), bias_input })
            }
            _ => Err(format!("{path}: unsupported kind of model").into()),
        },
        None => {
            if !spikeport::ann::ZOO_NAMES.contains(&network) {
                return Err(unknown("network", network, &spikeport::ann::ZOO_NAMES).into());
            }
            Ok(Loaded::Ann(Box::new(load_zoo(network)?)))
        }
    }
}

/// As [`load_any`], for the commands that convert an ANN: a `.nir` file is refused.
fn load_model(network: &str, model: &Option<String>) -> Result<Model, Error> {
    match load_any(network, model)? {
        Loaded::Ann(m) => Ok(*m),
        Loaded::Snn { .. } => Err(format!(
            "{}: a NIR file is already a spiking network; `spikeport run --model` runs it as it is",
            model.as_deref().unwrap_or(network)
        )
        .into()),
    }
}

fn write_outputs<T: Serialize>(g: &Global, value: &T, csv: Option<String>) -> Result<(), Error> {
    if let Some(p) = &g.json {
        let mut bytes = serde_json::to_vec_pretty(value)?;
        bytes.push(b'\n');
        write_atomic(p, &bytes)?;
        eprintln!("wrote {}", p.display());
    }
    if let (Some(p), Some(text)) = (&g.csv, csv) {
        write_atomic(p, text.as_bytes())?;
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

fn cmd_train(
    g: &Global,
    network: Option<String>,
    out: Option<String>,
    epochs: Option<usize>,
) -> Result<(), Error> {
    let mut cfg: TrainRunConfig = config(&g.config)?;
    cfg.network = network.unwrap_or(cfg.network);
    cfg.out = out.or(cfg.out);
    cfg.epochs = epochs.or(cfg.epochs);
    cfg.seed = g.seed.or(cfg.seed);
    if !spikeport::ann::ZOO_NAMES.contains(&cfg.network.as_str()) {
        return Err(unknown("network", &cfg.network, &spikeport::ann::ZOO_NAMES).into());
    }
    let mut recipe = zoo_net(&cfg.network)?;
    if let Some(e) = cfg.epochs {
        recipe.config.epochs = e;
    }
    if let Some(s) = cfg.seed {
        recipe.config.seed = s;
    }
    if let Some(n) = cfg.hidden_noise {
        recipe.config.hidden_noise = n;
    }
    if let Some(o) = cfg.hidden_offset {
        recipe.config.hidden_offset = o;
    }
    let out = PathBuf::from(cfg.out.clone().unwrap_or_else(|| format!("target/zoo/{}.npz", cfg.network)));
    let mnist = Mnist::load()?;
    let pb = bar(recipe.config.epochs as u64, "epochs");
    pb.set_prefix(format!("train {}", cfg.network));
    let (model, stats) = recipe.train(&mnist.train, &mnist.test, &mut |e| {
        if let TrainEvent::Epoch(_) = e {
            pb.inc(1);
        }
    })?;
    pb.finish_and_clear();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    model.save(&out)?;
    let acc = model.evaluate(&mnist.test)?.accuracy_pct();
    println!(
        "{}: test accuracy {acc:.2} % after {} epochs; wrote {}",
        cfg.network,
        stats.len(),
        out.display()
    );
    write_outputs(
        g,
        &serde_json::json!({ "network": cfg.network, "test_accuracy_pct": acc, "out": out }),
        None,
    )
}

fn sweep_grid(family: Family, given: &[f64]) -> Vec<f64> {
    match (given.is_empty(), family) {
        (false, _) => given.to_vec(),
        (true, Family::Analog) => ANALOG_SWEEP_US.to_vec(),
        (true, _) => DIGITAL_SWEEP_US.to_vec(),
    }
}

fn cmd_convert(g: &Global, m: ModelArgs, max_weight: Option<f64>, out: Option<String>) -> Result<(), Error> {
    let mut cfg: ConvertConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.max_weight = max_weight.or(cfg.max_weight);
    cfg.out = out.or(cfg.out);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    let model = load_model(&cfg.network, &cfg.model)?;
    let p = platform(&cfg.platform, spikeport::snn::Encoder::paper_digital())?;
    let conversion = match cfg.max_weight {
        Some(w) => Conversion::Global { max_weight: w },
        None => Conversion::Sweep {
            settings: SweepSettings {
                max_weights: sweep_grid(p.family, &[]),
                max_freqs_hz: Vec::new(),
                seed: cfg.seed,
            },
            calibration_images: cfg.calibration_images,
        },
    };
    let name = p.name.clone();
    let setup = setup(&name, p, conversion, 256, cfg.seed);
    let mnist = Mnist::load()?;
    let converted = spikeport::bench::convert(&model, &mnist.train, &setup)?;
    let out = PathBuf::from(cfg.out.unwrap_or_else(|| format!("{}.snn.json", model.header.name)));
    let mut bytes = serde_json::to_vec_pretty(&converted.network)?;
    bytes.push(b'\n');
    write_atomic(&out, &bytes)?;
    println!(
        "{} for {}: {}; wrote {}",
        model.header.name,
        cfg.platform,
        converted.description,
        out.display()
    );
    Ok(())
}

fn setup(
    name: &str,
    p: spikeport::experiment::Platform,
    conversion: Conversion,
    batch: usize,
    seed: u64,
) -> BackendSetup {
    BackendSetup {
        name: name.to_string(),
        backend: p.backend,
        neuron: p.neuron,
        encoder: p.encoder,
        conversion,
        batch_size: batch,
        seed,
        checkpoint_every_ms: Some(50.0),
        energy_profiles: p.energy_profiles,
    }
}

fn cmd_run(
    g: &Global,
    m: ModelArgs,
    conversion: Option<String>,
    max_weight: Option<f64>,
    max_freq: Option<f64>,
) -> Result<(), Error> {
    let mut cfg: RunConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.conversion = conversion.unwrap_or(cfg.conversion);
    cfg.max_weight = max_weight.or(cfg.max_weight);
    cfg.max_freq_hz = max_freq.or(cfg.max_freq_hz);
    cfg.images = g.images.unwrap_or(cfg.images);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    if cfg.images == 0 || cfg.batch == 0 {
        return Err("`images` and `batch` must be ≥ 1".into());
    }
    let loaded = load_any(&cfg.network, &cfg.model)?;
    let mut p = platform(&cfg.platform, spikeport::snn::Encoder::paper_digital())?;
    let model = match loaded {
        Loaded::Ann(m) => *m,
        Loaded::Snn { network, bias_input } => {
            if p.family != Family::Analog {
                if let Some(f) = cfg.max_freq_hz {
                    p.encoder = p.encoder.with_max_freq(f)?;
                }
            }
            if g.csv.is_some() {
                return Err("--csv: a spiking network run as it is has no record table; use --json".into());
            }
            let mnist = Mnist::load()?;
            let pre =
                spikeport::io::onnx::default_preprocessing(network.input_size() - usize::from(bias_input));
            let r = run_as_is(&network, bias_input, pre, &mnist.test, &p, cfg.images, cfg.batch)?;
            println!(
                "{} on {}: SNN {:.2} % on {} images, {:.2} % without a decision, {:.3} ms/image \
                 (as given, no conversion)",
                cfg.model.as_deref().unwrap_or_default(),
                cfg.platform,
                r.snn_accuracy_pct,
                r.images,
                r.no_decision_pct,
                1e3 * r.wall_s_per_image
            );
            return write_outputs(g, &r, None);
        }
    };
    let per_layer = match cfg.conversion.as_str() {
        "paper" => false,
        "per-layer" => true,
        other => return Err(unknown("conversion", other, &["paper", "per-layer"]).into()),
    };
    if p.family != Family::Analog {
        let f = cfg.max_freq_hz.unwrap_or(if per_layer { 250.0 } else { p.encoder.max_freq_hz() });
        p.encoder = p.encoder.with_max_freq(f)?;
    }
    let conversion = match (per_layer, cfg.max_weight) {
        (true, _) => Conversion::PerLayer {
            percentile: DEFAULT_PERCENTILE,
            neuron: IfCurrDeltaSubParams::new().check()?,
            calibration_images: cfg.calibration_images,
        },
        (false, Some(w)) => Conversion::Global { max_weight: w },
        (false, None) => Conversion::Sweep {
            settings: SweepSettings {
                max_weights: sweep_grid(p.family, &[]),
                max_freqs_hz: Vec::new(),
                seed: cfg.seed,
            },
            calibration_images: cfg.calibration_images,
        },
    };
    let name = cfg.platform.clone();
    let s = setup(&name, p, conversion, cfg.batch, cfg.seed);
    let mnist = Mnist::load()?;
    let test = mnist.test.take(cfg.images.min(mnist.test.len()))?;
    let pb = bar(test.len() as u64, "images");
    pb.set_prefix(format!("{} on {name}", model.header.name));
    let record = run_cell(&model, &test, &mnist.train, &s, &mut |pr| pb.set_position(pr.done as u64))?;
    pb.finish_and_clear();
    print!("{}", markdown_table(std::slice::from_ref(&record)));
    for e in &record.energy {
        println!("energy per inference: {e}");
    }
    if let Some((m, sd)) = record.host_energy_per_image() {
        println!("host energy per image: {m:.4e} ± {sd:.4e} J");
    }
    if let Some(p) = &g.json {
        write_json(p, std::slice::from_ref(&record))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &g.csv {
        write_csv(p, std::slice::from_ref(&record))?;
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

fn read_points(path: &Path) -> Result<Vec<SweepPoint>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display()).into()),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut points = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match serde_json::from_str::<SweepPoint>(l) {
            Ok(p) => points.push(p),
            // a torn last line from a killed run
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => return Err(format!("{} line {}: {e}", path.display(), i + 1).into()),
        }
    }
    Ok(points)
}

fn cmd_sweep(
    g: &Global,
    m: ModelArgs,
    weights: Option<Vec<f64>>,
    out: PathBuf,
    resume: bool,
) -> Result<(), Error> {
    use std::io::Write as _;
    let mut cfg: SweepConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.max_weights = weights.unwrap_or(cfg.max_weights);
    cfg.calibration_images = g.images.unwrap_or(cfg.calibration_images);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    let model = load_model(&cfg.network, &cfg.model)?;
    let p = platform(&cfg.platform, spikeport::snn::Encoder::paper_digital())?;
    let grid = sweep_grid(p.family, &cfg.max_weights);
    if let Some(bad) = grid.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(format!("max_weights: {bad} is not a weight > 0").into());
    }
    let freqs =
        if cfg.max_freqs_hz.is_empty() { vec![p.encoder.max_freq_hz()] } else { cfg.max_freqs_hz.clone() };
    let mut points = if resume { read_points(&out)? } else { Vec::new() };
    if !resume && out.exists() {
        std::fs::remove_file(&out)?;
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mnist = Mnist::load()?;
    let calib = mnist.train.take(cfg.calibration_images.min(mnist.train.len()))?;
    let x = model.features(&calib)?;
    let pb = bar((grid.len() * freqs.len()) as u64, "points");
    pb.set_prefix(format!("sweep {} on {}", model.header.name, cfg.platform));
    for &f in &freqs {
        let input = p.encoder.with_max_freq(f)?.encode(x.view())?;
        for &w in &grid {
            pb.inc(1);
            if points.iter().any(|q| q.max_weight == w && q.max_freq_hz == f) {
                continue;
            }
            let net = convert_global(&model.network, &p.neuron, w, DEFAULT_DELAY_MS)?.network;
            let mut session = p.backend.session(&net, Placement::from(cfg.seed))?;
            let outp = session.run(&input, &Recording::counts_only())?;
            let point = SweepPoint {
                max_weight: w,
                max_freq_hz: f,
                accuracy_pct: 100.0 * outp.accuracy(calib.labels())?,
            };
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&out)?;
            writeln!(file, "{}", serde_json::to_string(&point)?)?;
            file.sync_all()?;
            pb.suspend(|| eprintln!("max_weight {w} µS, {f} Hz: {:.2} %", point.accuracy_pct));
            points.push(point);
        }
    }
    pb.finish_and_clear();
    let best = choose(&points).ok_or("no sweep points")?;
    println!(
        "best: max_weight {} µS at {} Hz, {:.2} % on {} training images ({} points in {})",
        best.max_weight,
        best.max_freq_hz,
        best.accuracy_pct,
        calib.len(),
        points.len(),
        out.display()
    );
    let csv = std::iter::once("max_weight_us,max_freq_hz,accuracy_pct".to_string())
        .chain(points.iter().map(|q| format!("{},{},{}", q.max_weight, q.max_freq_hz, q.accuracy_pct)))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    write_outputs(g, &serde_json::json!({ "points": points, "best": best }), Some(csv))
}

fn cmd_hil(
    g: &Global,
    m: ModelArgs,
    epochs: Option<usize>,
    train_images: Option<usize>,
    checkpoint: Option<PathBuf>,
) -> Result<(), Error> {
    use spikeport::experiment::hil_setting;
    use spikeport::hil::{train, Control, HilConfig, HilEvent};
    let mut cfg: HilRunConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.epochs = epochs.unwrap_or(cfg.epochs);
    cfg.train_images = train_images.unwrap_or(cfg.train_images);
    cfg.images = g.images.unwrap_or(cfg.images);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    let (backend, train_encoder, mut hc) = hil_setting(&cfg.platform, cfg.presentation)?;
    hc.epochs = cfg.epochs;
    hc.seed = cfg.seed;
    hc.last_layer_only = cfg.last_layer_only;
    let model = load_model(&cfg.network, &cfg.model)?;
    let p = platform(&cfg.platform, spikeport::snn::Encoder::paper_digital())?;
    let mnist = Mnist::load()?;
    let train_set = mnist.train.take(cfg.train_images.min(mnist.train.len()))?;
    let (xtr, ytr) = (model.features(&train_set)?, train_set.labels().to_vec());
    let max_weight = match (cfg.max_weight, cfg.scale_sweep) {
        (Some(w), _) => w,
        (None, ScaleSweep::Hil) => {
            use spikeport::experiment::{
                sweep_hil_scale, HIL_SCALE_SWEEP_TRAIN_IMAGES, HIL_SCALE_SWEEP_US, HIL_SCALE_SWEEP_VALIDATION,
            };
            let n = HIL_SCALE_SWEEP_TRAIN_IMAGES.min(xtr.nrows());
            let val = mnist.train.select(&HIL_SCALE_SWEEP_VALIDATION.collect::<Vec<_>>())?;
            let xval = model.features(&val)?;
            let (w, points) = sweep_hil_scale(
                &backend,
                &p.neuron,
                &p.encoder,
                &train_encoder,
                &HilConfig { epochs: 1, ..hc.clone() },
                &model.network,
                &HIL_SCALE_SWEEP_US,
                (xtr.slice(ndarray::s![..n, ..]), &ytr[..n]),
                (xval.view(), val.labels()),
                cfg.seed,
            )?;
            for q in &points {
                println!(
                    "max_weight {} µS: {:.1} % before, {:.1} % after one HIL epoch on {n} training images",
                    q.max_weight, q.before_pct, q.after_pct
                );
            }
            println!("swept max_weight {w} µS with HIL ({} validation images)", val.len());
            w
        }
        (None, ScaleSweep::Conversion) => {
            let calib = 500.min(xtr.nrows());
            let settings = SweepSettings {
                max_weights: ANALOG_SWEEP_US.to_vec(),
                max_freqs_hz: Vec::new(),
                seed: cfg.seed,
            };
            let r = spikeport::convert::sweep(
                &backend,
                &model.network,
                &p.neuron,
                &p.encoder,
                xtr.slice(ndarray::s![..calib, ..]),
                &ytr[..calib],
                &settings,
            )?;
            println!(
                "swept max_weight {} µS ({:.1} % on {calib} training images)",
                r.best.max_weight, r.best.accuracy_pct
            );
            r.best.max_weight
        }
    };
    let converted = convert_global(&model.network, &p.neuron, max_weight, DEFAULT_DELAY_MS)?;
    let test = mnist.test.take(cfg.images.min(mnist.test.len()))?;
    let xt = model.features(&test)?;
    let input = p.encoder.encode(xt.view())?;
    let mut session = backend.session(&converted.network, Placement::from(cfg.seed))?;
    let before = 100.0 * session.run(&input, &Recording::counts_only())?.accuracy(test.labels())?;
    println!("{} chip {}: {before:.2} % before HIL ({} test images)", cfg.platform, cfg.seed, test.len());
    let total = ytr.len().div_ceil(hc.batch_size) * hc.epochs;
    let pb = bar(total as u64, "batches");
    pb.set_prefix(format!("HIL on {} chip {}", cfg.platform, cfg.seed));
    let t0 = Instant::now();
    let result = train(
        session.as_mut(),
        &model.network,
        converted.scale,
        &train_encoder,
        xtr.view(),
        &ytr,
        &hc,
        checkpoint.as_deref(),
        &mut |e| {
            match e {
                HilEvent::Batch { .. } => pb.inc(1),
                HilEvent::Epoch { .. } => {}
                _ => {}
            }
            Control::Continue
        },
    )?;
    pb.finish_and_clear();
    let after = 100.0 * session.run(&input, &Recording::counts_only())?.accuracy(test.labels())?;
    println!(
        "{} chip {}: {after:.2} % after HIL ({} epochs, {:.1} s); training accuracy per epoch: {:?}",
        cfg.platform,
        cfg.seed,
        hc.epochs,
        t0.elapsed().as_secs_f64(),
        result.epoch_accuracy_pct
    );
    write_outputs(
        g,
        &serde_json::json!({
            "network": model.header.name, "platform": cfg.platform, "chip_seed": cfg.seed,
            "max_weight_us": max_weight, "before_pct": before, "after_pct": after,
            "epoch_accuracy_pct": result.epoch_accuracy_pct
        }),
        None,
    )
}

fn cmd_table(g: &Global, out: PathBuf, cells_path: PathBuf, resume: bool) -> Result<(), Error> {
    let mut cfg: TableConfig = config(&g.config)?;
    if let Some(n) = g.images {
        cfg.images = n;
    }
    if let Some(s) = g.seed {
        cfg.seed = s;
    }
    cfg.check()?;
    let mnist = Mnist::load()?;
    let (cells, _) = run_table_to_file(&cfg, &mnist, &cells_path, resume)?;
    let md = results_markdown(&cells);
    write_atomic(&out, md.as_bytes())?;
    print!("{md}");
    eprintln!("wrote {}", out.display());
    let records = records(&cells);
    write_outputs(g, &cells, Some(to_csv(&records)))
}

fn profile_by_name(name: &str) -> Result<Profile, Error> {
    const NAMES: [&str; 7] =
        ["spinn5", "spinn3", "spikey", "brainscales1", "genn_cpu_ryzen2600x", "genn_gpu_rtx2070", "host_cpu"];
    Ok(match name {
        "spinn5" => profiles::spinn5(),
        "spinn3" => profiles::spinn3(),
        "spikey" => profiles::spikey(),
        "brainscales1" => profiles::brainscales1(),
        "genn_cpu_ryzen2600x" => profiles::genn_cpu_ryzen2600x(),
        "genn_gpu_rtx2070" => profiles::genn_gpu_rtx2070(),
        "host_cpu" => profiles::host_cpu(),
        other => return Err(unknown("energy profile", other, &NAMES).into()),
    })
}

fn cmd_energy(
    g: &Global,
    profile: Option<String>,
    input: Option<String>,
    records: Option<String>,
    list: bool,
) -> Result<(), Error> {
    let mut cfg: EnergyConfig = config(&g.config)?;
    cfg.profile = profile.unwrap_or(cfg.profile);
    cfg.input = input.or(cfg.input);
    cfg.records = records.or(cfg.records);
    if list {
        for p in profiles::all() {
            println!("{} ({}): {}", p.name, p.kind, p.description);
            for (term, c) in &p.coefficients {
                println!(
                    "  {}: {} ± {} {} — {}",
                    term.label(),
                    c.value,
                    c.sd,
                    term.coefficient_unit(),
                    c.source
                );
            }
        }
        return Ok(());
    }
    let p = match &cfg.profile_file {
        Some(f) => Profile::load(f)?,
        None => profile_by_name(&cfg.profile)?,
    };
    let mut out = Vec::new();
    if let Some(path) = &cfg.input {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let inp: EnergyInput = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let e = p.estimate(&inp)?;
        println!("{e}");
        out.push(e);
    }
    if let Some(path) = &cfg.records {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let recs: Vec<Record> = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        for r in &recs {
            let inp = EnergyInput {
                images: 1.0,
                neurons: r.neurons as f64,
                spikes: r.spikes_per_image.iter().skip(1).sum(),
                input_spikes: r.spikes_per_image.first().copied().unwrap_or(0.0),
                synaptic_events: r.synaptic_events_per_image,
                packets: r
                    .platform_counters
                    .get(&Counter::PacketsSent)
                    .map_or(0.0, |&v| v as f64 / r.images.max(1) as f64),
                cores: r.hardware_units.get(&UnitKind::Core).copied().unwrap_or(0) as f64,
                chips: (r.hardware_units.get(&UnitKind::Chip).copied().unwrap_or(0)
                    + r.hardware_units.get(&UnitKind::Hicann).copied().unwrap_or(0))
                    as f64,
                boards: r.hardware_units.get(&UnitKind::Board).copied().unwrap_or(0) as f64,
                bio_time_ms: r.bio_ms_per_image,
                hardware_time_s: r.hardware_s_per_image,
                wall_time_s: r.wall_s_per_image,
            };
            let e = p.estimate(&inp)?;
            println!("{} on {}: {e} per inference", r.network, r.backend);
            out.push(e);
        }
    }
    if cfg.input.is_none() && cfg.records.is_none() {
        return Err("energy: give --input FILE, --records FILE or --list".into());
    }
    write_outputs(g, &out, None)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.global.threads {
        if n == 0 {
            eprintln!("error: --threads must be ≥ 1");
            return ExitCode::from(2);
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global() {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let g = &cli.global;
    let result = match cli.command {
        Command::Train { network, out, epochs } => cmd_train(g, network, out, epochs),
        Command::Convert { model, max_weight, out } => cmd_convert(g, model, max_weight, out),
        Command::Run { model, conversion, max_weight, max_freq } => {
            cmd_run(g, model, conversion, max_weight, max_freq)
        }
        Command::Sweep { model, max_weights, out, resume } => cmd_sweep(g, model, max_weights, out, resume),
        Command::Hil { model, epochs, train_images, checkpoint } => {
            cmd_hil(g, model, epochs, train_images, checkpoint)
        }
        Command::Table { out, cells, resume } => cmd_table(g, out, cells, resume),
        Command::Energy { profile, input, records, list } => cmd_energy(g, profile, input, records, list),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
