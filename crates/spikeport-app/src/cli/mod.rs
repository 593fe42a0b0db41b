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

use crate::ann::{load_zoo, zoo_net, Model, TrainEvent};
use crate::bench::report::write_atomic;
use crate::bench::{
    markdown_table, run_cell, to_csv, write_csv, write_json, BackendSetup, Conversion, Record,
};
use crate::config::{
    load, ConfigError, ConvertConfig, EnergyConfig, HilRunConfig, RunConfig, ScaleSweep, SweepConfig,
    TrainRunConfig,
};
use crate::convert::{
    choose, convert_global, SweepPoint, SweepSettings, DEFAULT_DELAY_MS, DEFAULT_PERCENTILE,
};
use crate::data::Mnist;
use crate::energy::{profiles, EnergyInput, Profile};
use crate::experiment::{run_as_is, unknown};
use crate::registry::{platform, Family, Platform};
use crate::snn::{Counter, IfCurrDeltaSubParams, Placement, Recording, SnnNetwork, UnitKind};
use crate::table::{records, results_markdown, run_table_to_file, TableConfig};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use spikeport_records::{Fingerprint, RecordLog};

mod convert;
mod energy;
mod hil;
mod run;
mod sweep;
mod table;
mod train;

use convert::{cmd_convert, sweep_grid};
use energy::cmd_energy;
use hil::cmd_hil;
use run::{cmd_run, setup};
use sweep::cmd_sweep;
use table::cmd_table;
use train::cmd_train;

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
    /// Write every test image's result (label, ANN and SNN class, output counts, spikes per
    /// layer) as CSV to this file (atomically; `run`).
    #[arg(long, global = true)]
    predictions: Option<PathBuf>,
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
        /// Record file of the points (written to `<out>.partial`, which replaces it when
        /// the sweep is done).
        #[arg(long, default_value = "results/sweep.jsonl")]
        out: PathBuf,
        /// Reuse the points recorded with the same settings (of an unfinished sweep, else of
        /// `--out`) and run only the missing ones; points of other settings are an error.
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
        /// Record file of the cells (written to `<cells>.partial`, which replaces it when
        /// the table is done).
        #[arg(long, default_value = "results/table.cells.jsonl")]
        cells: PathBuf,
        /// Reuse the cells recorded with the same settings (of an unfinished run, else of
        /// `--cells`) and run only the missing ones; cells of other settings are an error.
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
        Some(path) => match load_file(path)? {
            crate::io::LoadedModel::Ann { model, notes } => {
                notes.iter().for_each(|n| eprintln!("{path}: {n}"));
                Ok(Loaded::Ann(model))
            }
            crate::io::LoadedModel::Snn { network, bias_input, notes } => {
                notes.iter().for_each(|n| eprintln!("{path}: {n}"));
                Ok(Loaded::Snn { network: Box::new(network), bias_input })
            }
            _ => Err(format!("{path}: unsupported kind of model").into()),
        },
        None => {
            if !crate::ann::ZOO_NAMES.contains(&network) {
                return Err(unknown("network", network, &crate::ann::ZOO_NAMES).into());
            }
            Ok(Loaded::Ann(Box::new(load_zoo(network)?)))
        }
    }
}

/// Loads the model file `path`; every error names the file, and a folder is said to be one.
fn load_file(path: &str) -> Result<crate::io::LoadedModel, Error> {
    let p = Path::new(path);
    if p.is_dir() {
        return Err(format!("{path}: is a folder, not a model file (.npz/.json, .onnx or .nir)").into());
    }
    crate::io::load_model(p).map_err(|e| {
        let message = e.to_string();
        if message.contains(path) {
            message.into()
        } else {
            format!("{path}: {message}").into()
        }
    })
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

/// How many of a set of `have` images to use when `asked` for: an error for 0 (before any
/// work is done), and all of them, with a note on standard error, when `asked` exceeds the set.
fn images_of(what: &str, asked: usize, have: usize) -> Result<usize, Error> {
    if asked == 0 {
        return Err(format!("{what} must be ≥ 1").into());
    }
    if asked > have {
        eprintln!("note: {what} = {asked} exceeds the {have} images of the set; using all {have}");
    }
    Ok(asked.min(have))
}

/// Writes `text` to standard output. A closed standard output (`spikeport … | head -1`)
/// ends the printing quietly instead of failing: every command writes its results files
/// before it prints, so nothing is lost.
fn say(text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
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

/// Runs the command line on the process arguments and returns the exit code.
pub fn main() -> ExitCode {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_counts_of_zero_fail_and_too_many_use_the_whole_set() {
        let e = images_of("images", 0, 10_000).unwrap_err().to_string();
        assert_eq!(e, "images must be ≥ 1");
        assert_eq!(images_of("images", 20_000, 10_000).ok(), Some(10_000));
        assert_eq!(images_of("images", 7, 10_000).ok(), Some(7));
    }
}
