//! The paper's digital experiment (Ostrau et al. 2020): the five zoo networks converted to
//! IF_cond_exp SNNs, run on the CPU simulators, with ANN and SNN accuracy, conversion loss,
//! activity, and the cost of inference the paper's way: time and energy per inference with
//! SNABSuite's network copies per run, at one copy and at the most that fit, on each
//! platform's own clock (modelled GeNN time for `fast`, this host's for `reference`).
//!
//! ```text
//! cargo run --release --example paper_benchmark                       # all 5 networks: Fast on 10,000 images, Reference on 100
//! cargo run --release --example paper_benchmark -- --networks nas63,diehl --backends fast --images 2000
//! cargo run --release --example paper_benchmark -- --reference-images 1000 --json results.json --csv results.csv
//! cargo run --release --example paper_benchmark -- --conversion per-layer   # per-layer normalisation, reset by subtraction
//! cargo run --release --example paper_benchmark -- --backends fast,spinnaker  # add the SpiNNaker-1 model (SpiNN-5 board)
//! cargo run --release --example paper_benchmark -- --model mlp.onnx --model net.nir   # model files (docs/interop.md)
//! ```
//!
//! Setting (DESIGN.md §4): IF_cond_exp with cm 0.2 nF, tau_m 20 ms, tau_syn 3 ms, v_rest −65,
//! v_reset −75, v_thresh −55 mV, tau_refrac 0, e_rev_E 0, e_rev_I −130 mV; regular input
//! trains at pixel × 120 Hz, 500 ms + 50 ms pause per image, delay 1 ms. `max_weight` is
//! swept (0.006–0.025 µS) on 500 *training* images on each backend itself, except that the
//! `reference` backends (dt 1 ms as SNABSuite ran NEST; `reference-01ms` at 0.1 ms) reuse the value swept on the
//! first other backend listed; `--sweep-freqs` sweeps the input rate too. `fast` steps
//! IF_cond_exp with conductances held over each step, `fast-genn` with GeNN's held current;
//! `gpu` runs `fast`'s semantics on the best Vulkan adapter. The per-layer conversion (reset
//! by subtraction) runs its input at 250 Hz unless `--per-layer-freq` says otherwise. Needs no
//! configuration and no network access.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use spikeport::ann::{load_zoo, Model, ZOO_NAMES};
use spikeport::bench::report::write_atomic;
use spikeport::bench::{cost_table, markdown_table, platform_table, predictions_csv, write_csv, write_json};
use spikeport::benchmark::{
    run_benchmark, BenchmarkEvent, BenchmarkSpec, ConversionKind, DEFAULT_PER_LAYER_FREQ_HZ,
};
use spikeport::data::{Dataset, Mnist};
use spikeport::experiment::{run_as_is, unknown, ExperimentError};
use spikeport::io::{load_model, onnx::default_preprocessing, LoadedModel};
use spikeport::registry::{platform, Family, PLATFORMS};
use spikeport::snn::{Encoder, ImageBoundary, SnnNetwork};

const USAGE: &str =
    "usage: paper_benchmark [--networks a,b] [--backends fast,fast-genn,gpu,reference,reference-01ms,spinnaker,spikey,brainscales,..] [--images N] \
[--reference-images N] [--conversion paper|per-layer|both] [--max-weight W] [--max-freq HZ] \
[--sweep-freqs HZ,HZ,..] [--per-layer-freq HZ] [--calibration-images N] [--batch N] [--threads N] \
[--presentation paper|continuous|reset] [--predictions PATH.csv] [--json PATH] [--csv PATH] [--model PATH.onnx|.npz|.nir ...]";

struct Args {
    networks: Vec<String>,
    /// Model files (`--model`, repeatable); without `--networks` only these run.
    models: Vec<PathBuf>,
    backends: Vec<String>,
    images: usize,
    reference_images: usize,
    conversions: Vec<ConversionKind>,
    max_weight: Option<f64>,
    max_freq: f64,
    sweep_freqs: Vec<f64>,
    per_layer_freq: Option<f64>,
    calibration_images: usize,
    batch: usize,
    threads: Option<usize>,
    json: Option<PathBuf>,
    csv: Option<PathBuf>,
    boundary: Option<ImageBoundary>,
    predictions: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        networks: ZOO_NAMES.iter().map(|s| s.to_string()).collect(),
        models: Vec::new(),
        backends: vec!["fast".into(), "reference".into()],
        images: 10_000,
        reference_images: 100,
        conversions: vec![ConversionKind::Paper],
        max_weight: None,
        max_freq: 120.0,
        sweep_freqs: Vec::new(),
        per_layer_freq: Some(DEFAULT_PER_LAYER_FREQ_HZ),
        calibration_images: 500,
        batch: 500,
        threads: None,
        json: None,
        csv: None,
        boundary: None,
        predictions: None,
    };
    let mut networks_given = false;
    let mut it = std::env::args().skip(1);
    let num = |name: &str, v: Option<String>| -> Result<usize, String> {
        let v = v.ok_or(format!("{name} needs a value"))?;
        v.parse().map_err(|_| format!("{name}: `{v}` is not a whole number"))
    };
    let real = |name: &str, v: &str| -> Result<f64, String> {
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
            _ => Err(format!("{name}: `{v}` is not a positive number")),
        }
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--model" => a.models.push(it.next().ok_or("--model needs a path")?.into()),
            "--networks" => {
                networks_given = true;
                a.networks =
                    it.next().ok_or("--networks needs a value")?.split(',').map(str::to_owned).collect()
            }
            "--backends" => {
                a.backends =
                    it.next().ok_or("--backends needs a value")?.split(',').map(str::to_owned).collect()
            }
            "--images" => a.images = num("--images", it.next())?,
            "--reference-images" => a.reference_images = num("--reference-images", it.next())?,
            "--calibration-images" => a.calibration_images = num("--calibration-images", it.next())?,
            "--batch" => a.batch = num("--batch", it.next())?,
            "--threads" => a.threads = Some(num("--threads", it.next())?),
            "--max-weight" => {
                let v = it.next().ok_or("--max-weight needs a value")?;
                a.max_weight = Some(real("--max-weight", &v)?);
            }
            "--max-freq" => a.max_freq = real("--max-freq", &it.next().ok_or("--max-freq needs a value")?)?,
            "--per-layer-freq" => {
                let v = it.next().ok_or("--per-layer-freq needs a value")?;
                a.per_layer_freq = Some(real("--per-layer-freq", &v)?);
            }
            "--sweep-freqs" => {
                let v = it.next().ok_or("--sweep-freqs needs a value")?;
                a.sweep_freqs = v.split(',').map(|f| real("--sweep-freqs", f)).collect::<Result<_, _>>()?;
            }
            "--conversion" => {
                a.conversions = match it.next().as_deref() {
                    Some("paper") => vec![ConversionKind::Paper],
                    Some("per-layer") => vec![ConversionKind::PerLayer],
                    Some("both") => vec![ConversionKind::Paper, ConversionKind::PerLayer],
                    other => {
                        return Err(format!("--conversion: expected paper, per-layer or both, got {other:?}"))
                    }
                }
            }
            "--presentation" => {
                a.boundary = match it.next().as_deref() {
                    Some("paper") => None,
                    Some("continuous") => Some(ImageBoundary::Continuous),
                    Some("reset") => Some(ImageBoundary::Reset),
                    other => {
                        return Err(format!(
                            "--presentation: expected paper, continuous or reset, got {other:?}"
                        ))
                    }
                }
            }
            "--predictions" => a.predictions = Some(it.next().ok_or("--predictions needs a path")?.into()),
            "--json" => a.json = Some(it.next().ok_or("--json needs a path")?.into()),
            "--csv" => a.csv = Some(it.next().ok_or("--csv needs a path")?.into()),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if !a.models.is_empty() && !networks_given {
        a.networks.clear();
    }
    for n in &a.networks {
        if !ZOO_NAMES.contains(&n.as_str()) {
            return Err(unknown("network", n, &ZOO_NAMES).to_string());
        }
    }
    for b in &a.backends {
        if !PLATFORMS.contains(&b.as_str()) {
            return Err(unknown("backend", b, &PLATFORMS).to_string());
        }
    }
    if a.images == 0 || a.batch == 0 {
        return Err("--images and --batch must be ≥ 1".into());
    }
    Ok(a)
}

fn bar(len: u64, prefix: String) -> ProgressBar {
    let b = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>28} [{bar:30}] {pos}/{len} images {elapsed_precise} ETA {eta}")
    {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_prefix(prefix);
    b
}

/// A `.nir` file is already a spiking network: run it as it is (no conversion) with the
/// paper's encoder on each backend, pixels ÷ 255 (plus the constant bias input if the file
/// says so), and print its accuracy.
fn run_snn_file(
    path: &std::path::Path,
    net: &SnnNetwork,
    bias_input: bool,
    test: &Dataset,
    args: &Args,
    encoder: &Encoder,
) -> Result<(), Box<dyn std::error::Error>> {
    let preprocessing = default_preprocessing(net.input_size() - usize::from(bias_input));
    for name in &args.backends {
        let mut p = platform(name)?;
        if p.family != Family::Analog {
            p.encoder = *encoder;
        }
        let n = if p.family == Family::Reference { args.reference_images } else { test.len() };
        match run_as_is(net, bias_input, preprocessing, test, &p, n, args.batch) {
            Ok(r) => println!(
                "{} on {name:<20} SNN {:6.2} % on {} images (as exported, no conversion)",
                path.display(),
                r.snn_accuracy_pct,
                r.images
            ),
            Err(ExperimentError::Backend(e)) => println!("{} on {name:<20} skipped: {e}", path.display()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let t0 = Instant::now();
    let mnist = Mnist::load()?;
    let test = mnist.test.take(args.images.min(mnist.test.len()))?;
    let encoder = Encoder::paper_digital().with_max_freq(args.max_freq)?;
    println!(
        "spikeport paper benchmark: {} networks x {:?}, {} test images ({} on reference), {} threads",
        args.networks.len(),
        args.backends,
        test.len(),
        args.reference_images.min(test.len()),
        rayon::current_num_threads()
    );
    let mut anns: Vec<(String, Model)> = Vec::new();
    for name in &args.networks {
        anns.push((name.clone(), load_zoo(name)?));
    }
    for path in &args.models {
        match load_model(path)? {
            LoadedModel::Ann { model, notes } => {
                notes.iter().for_each(|n| println!("{}: {n}", path.display()));
                anns.push((model.header.name.clone(), *model));
            }
            LoadedModel::Snn { network, bias_input, notes } => {
                notes.iter().for_each(|n| println!("{}: {n}", path.display()));
                run_snn_file(path, &network, bias_input, &test, &args, &encoder)?;
            }
            _ => return Err(format!("{}: unsupported model kind", path.display()).into()),
        }
    }
    let spec = BenchmarkSpec {
        platforms: args.backends.clone(),
        images: args.images,
        reference_images: args.reference_images,
        conversions: args.conversions.clone(),
        max_weight: args.max_weight,
        max_freq_hz: args.max_freq,
        sweep_freqs_hz: args.sweep_freqs.clone(),
        per_layer_freq_hz: args.per_layer_freq,
        calibration_images: args.calibration_images,
        batch: args.batch,
        boundary: args.boundary,
        keep_predictions: args.predictions.is_some(),
    };
    let mut pb: Option<ProgressBar> = None;
    let mut records = run_benchmark(&spec, &anns, &mnist, &mut |e| match e {
        BenchmarkEvent::CellStarted { network, label, images } => {
            pb = Some(bar(images as u64, format!("{network} on {label}")));
        }
        BenchmarkEvent::Images(p) => {
            if let Some(b) = &pb {
                b.set_position(p.done as u64);
            }
        }
        BenchmarkEvent::Skipped { network, label, reason } => {
            if let Some(b) = pb.take() {
                b.finish_and_clear();
            }
            println!("{network:>10} on {label:<20} skipped: {reason}");
        }
        BenchmarkEvent::Done(record) => {
            if let Some(b) = pb.take() {
                b.finish_and_clear();
            }
            println!(
                "{:>10} on {:<20} ANN {:6.2} %  SNN {:6.2} %  loss {:5.2} pp  {:7.3} ms/image  ({})",
                record.network,
                record.backend,
                record.ann_accuracy_pct,
                record.snn_accuracy_pct,
                record.conversion_loss_pp,
                record.wall_s_per_image * 1e3,
                record.conversion
            );
        }
    })?;
    println!();
    print!("{}", markdown_table(&records));
    let platform = platform_table(&records);
    if !platform.is_empty() {
        println!();
        println!("Hardware resources and platform events:");
        print!("{platform}");
    }
    let cost = cost_table(&records);
    if let Some(priced) = records.iter().find_map(|r| r.cost.as_ref().map(|c| c.images)) {
        println!();
        println!(
            "Cost of inference, the paper's way (a run of {priced} test images, network copies side by \
             side; docs/energy.md):"
        );
        print!("{cost}");
    }
    println!();
    println!("Accuracy (%) vs simulated time per image:");
    for r in &records {
        let curve: Vec<String> = r
            .accuracy_vs_time
            .iter()
            .filter(|a| (a.t_ms as i64) % 100 == 0)
            .map(|a| format!("{:.0} ms: {:.1}", a.t_ms, a.snn_accuracy_pct))
            .collect();
        println!("  {} / {}: {}", r.network, r.backend, curve.join(", "));
    }
    if let Some(p) = &args.predictions {
        write_atomic(p, predictions_csv(&records).as_bytes())?;
        println!("wrote {}", p.display());
        records.iter_mut().for_each(|r| r.predictions.clear());
    }
    if let Some(p) = &args.json {
        write_json(p, &records)?;
        println!("wrote {}", p.display());
    }
    if let Some(p) = &args.csv {
        write_csv(p, &records)?;
        println!("wrote {}", p.display());
    }
    println!("total {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
