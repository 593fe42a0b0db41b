//! Spikey-net on the analog models over many virtual chips, before and after
//! hardware-in-the-loop training (Ostrau et al. 2020, DESIGN.md §4).
//!
//! ```text
//! cargo run --release --example analog_hil                      # 10 chip seeds, both platforms (reduced setting)
//! cargo run --release --example analog_hil -- --seeds 3 --images 500
//! cargo run --release --example analog_hil -- --model my-spikey-net.npz  # any 81×100×10 model file
//! cargo run --release --example analog_hil -- --json results/seeds.json --figures docs/figures
//! cargo run --release --example analog_hil -- --presentation paper --platform spikey --max-weight 0.015
//!                                                               # SNABSuite's ITL setting on Spikey
//! cargo run --release --example analog_hil -- --paper           # the paper's HIL setting: 5 epochs on all 60,000
//!                                                               # training images, 10,000 test images (hours)
//! ```
//!
//! For each platform (Spikey, BrainScaleS-1; `--platform` picks one): sweep the global
//! weight scale with HIL in the loop on chip 0 (per candidate: one HIL epoch on the first
//! 2,000 training images, judged on training images 50,000–50,999;
//! `experiment::sweep_hil_scale`; `--max-weight` skips it); then for each chip seed: convert
//! Spikey-net with it, deploy it on the seed's chip (calibrated mismatch, default noise),
//! measure test accuracy, train in the loop on training images, and measure again on the same
//! chip. Then the same conversion on an ideal chip (no mismatch, no noise: only 4-bit weights
//! and the analog neuron) once per platform. Prints per seed and mean ± SD over seeds.
//!
//! `--presentation test` (the default) is spikeport's HIL setting: trained with the chip's
//! test presentation, batch-mean steps on count ÷ (duration × rate). `--presentation paper`
//! (`--paper-presentation`) is SNABSuite's ITL (`MnistITL.json`): Spikey trained **and
//! tested** with 180 ms at 70 Hz (50 ms pause), raw counts ÷ 1 for input and hidden layers
//! and ÷ 5 for the output layer, SNABSuite's hinge, per-image steps, incomplete batches
//! skipped, batch 100, lr 0.02; BrainScaleS the paper-era nmpm1 block (batch 500, lr 0.008,
//! counts ÷ 5). To change one factor of a setting at a time: `--test-with train|platform`
//! (test with the training presentation or the platform's), `--norm-hidden rate|N`,
//! `--norm-last rate|N` (count ÷ (duration × `--norm-rate` Hz) or count ÷ N), `--update
//! batch|sample`, `--hinge strict|snabsuite`, `--skip-incomplete true|false`, `--lr X`,
//! `--batch N`.
//!
//! The default is a **reduced** setting so that it finishes in minutes on 2 cores: the
//! first `--images` (1,000) test images, HIL for `--epochs` (1) over `--train-images`
//! (10,000) training images. `--paper` is the paper's full setting, its presentation
//! included.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::s;
use spikeport::analog::{Analog, Mismatch, Noise, Profile};
use spikeport::ann::{load_zoo, Model};
use spikeport::data::Mnist;
use spikeport::experiment::{
    hil_on_chip, read_out, sweep_hil_scale, HilPlan, Readout, HIL_SCALE_SWEEP_TRAIN_IMAGES,
    HIL_SCALE_SWEEP_US, HIL_SCALE_SWEEP_VALIDATION,
};
use spikeport::hil::{Control, HilConfig, HilEvent, Hinge, Norm, Update};
use spikeport::plot::{mean_sd, seed_spread, SeedStudy};
use spikeport::registry::HilPresentation;
use spikeport::snn::{DynBackend, Placement};

/// Which presentation to test with around training.
#[derive(Clone, Copy, PartialEq)]
enum TestWith {
    /// The HIL setting's own choice (`HilSetting::test_encoder`).
    Setting,
    /// The training presentation.
    Train,
    /// The platform's test presentation.
    Platform,
}

/// Overrides of single factors of the HIL setting.
#[derive(Default)]
struct Overrides {
    norm_hidden: Option<Norm>,
    norm_last: Option<Norm>,
    norm_rate_hz: Option<f64>,
    update: Option<Update>,
    hinge: Option<Hinge>,
    skip_incomplete: Option<bool>,
    lr: Option<f64>,
    batch: Option<usize>,
}

impl Overrides {
    fn apply(&self, c: &mut HilConfig) {
        if let Some(v) = self.norm_hidden {
            c.norm_hidden = v;
        }
        if let Some(v) = self.norm_last {
            c.norm_last = v;
        }
        if let Some(v) = self.norm_rate_hz {
            c.norm_rate_hz = v;
        }
        if let Some(v) = self.update {
            c.update = v;
        }
        if let Some(v) = self.hinge {
            c.hinge = v;
        }
        if let Some(v) = self.skip_incomplete {
            c.skip_incomplete = v;
        }
        if let Some(v) = self.lr {
            c.lr = v;
        }
        if let Some(v) = self.batch {
            c.batch_size = v;
        }
    }
}

struct Args {
    seeds: u64,
    images: usize,
    train_images: usize,
    epochs: usize,
    json: Option<std::path::PathBuf>,
    figures: Option<std::path::PathBuf>,
    presentation: HilPresentation,
    model: Option<std::path::PathBuf>,
    platforms: Vec<&'static str>,
    max_weight: Option<f64>,
    test_with: TestWith,
    overrides: Overrides,
}

const USAGE: &str = "usage: analog_hil [--seeds N] [--images N] [--train-images N] [--epochs N] [--paper] \
     [--presentation test|paper] [--paper-presentation] [--platform spikey|brainscales|both] \
     [--max-weight µS] [--test-with setting|train|platform] [--norm-hidden rate|N] [--norm-last rate|N] \
     [--norm-rate HZ] [--update batch|sample] [--hinge strict|snabsuite] [--skip-incomplete true|false] \
     [--lr X] [--batch N] [--model FILE.npz] [--json PATH] [--figures DIR]";

fn parse() -> Result<Args, String> {
    let mut a = Args {
        seeds: 10,
        images: 1000,
        train_images: 10_000,
        epochs: 1,
        json: None,
        figures: None,
        presentation: HilPresentation::Test,
        model: None,
        platforms: vec!["Spikey", "BrainScaleS"],
        max_weight: None,
        test_with: TestWith::Setting,
        overrides: Overrides::default(),
    };
    let mut it = std::env::args().skip(1);
    let positive = |name: &str, v: &str| -> Result<f64, String> {
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
            _ => Err(format!("{name}: `{v}` is not a number > 0")),
        }
    };
    let norm = |name: &str, v: &str| -> Result<Norm, String> {
        if v == "rate" {
            Ok(Norm::Rate)
        } else {
            positive(name, v).map(Norm::Count)
        }
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |name: &str, v: String| -> Result<usize, String> {
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name}: `{v}` is not a whole number ≥ 1")),
            }
        };
        let o = &mut a.overrides;
        match flag.as_str() {
            "--seeds" => a.seeds = num("--seeds", value("--seeds")?)? as u64,
            "--images" => a.images = num("--images", value("--images")?)?,
            "--train-images" => a.train_images = num("--train-images", value("--train-images")?)?,
            "--epochs" => a.epochs = num("--epochs", value("--epochs")?)?,
            "--json" => a.json = Some(value("--json")?.into()),
            "--figures" => a.figures = Some(value("--figures")?.into()),
            "--paper" => {
                a.images = 10_000;
                a.train_images = 60_000;
                a.epochs = 5;
                a.presentation = HilPresentation::Paper;
            }
            "--paper-presentation" => a.presentation = HilPresentation::Paper,
            "--presentation" => {
                a.presentation = match value("--presentation")?.as_str() {
                    "test" => HilPresentation::Test,
                    "paper" => HilPresentation::Paper,
                    v => return Err(format!("--presentation: `{v}` is not test or paper")),
                }
            }
            "--platform" => {
                a.platforms = match value("--platform")?.as_str() {
                    "spikey" => vec!["Spikey"],
                    "brainscales" => vec!["BrainScaleS"],
                    "both" => vec!["Spikey", "BrainScaleS"],
                    v => return Err(format!("--platform: `{v}` is not spikey, brainscales or both")),
                }
            }
            "--max-weight" => a.max_weight = Some(positive("--max-weight", &value("--max-weight")?)?),
            "--test-with" => {
                a.test_with = match value("--test-with")?.as_str() {
                    "setting" => TestWith::Setting,
                    "train" => TestWith::Train,
                    "platform" => TestWith::Platform,
                    v => return Err(format!("--test-with: `{v}` is not setting, train or platform")),
                }
            }
            "--norm-hidden" => o.norm_hidden = Some(norm("--norm-hidden", &value("--norm-hidden")?)?),
            "--norm-last" => o.norm_last = Some(norm("--norm-last", &value("--norm-last")?)?),
            "--norm-rate" => o.norm_rate_hz = Some(positive("--norm-rate", &value("--norm-rate")?)?),
            "--update" => {
                o.update = Some(match value("--update")?.as_str() {
                    "batch" => Update::BatchMean,
                    "sample" => Update::PerSample,
                    v => return Err(format!("--update: `{v}` is not batch or sample")),
                })
            }
            "--hinge" => {
                o.hinge = Some(match value("--hinge")?.as_str() {
                    "strict" => Hinge::Strict,
                    "snabsuite" => Hinge::Snabsuite,
                    v => return Err(format!("--hinge: `{v}` is not strict or snabsuite")),
                })
            }
            "--skip-incomplete" => {
                o.skip_incomplete = Some(match value("--skip-incomplete")?.as_str() {
                    "true" => true,
                    "false" => false,
                    v => return Err(format!("--skip-incomplete: `{v}` is not true or false")),
                })
            }
            "--lr" => o.lr = Some(positive("--lr", &value("--lr")?)?),
            "--batch" => o.batch = Some(num("--batch", value("--batch")?)?),
            "--model" => a.model = Some(value("--model")?.into()),
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(a)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let mnist = Mnist::load()?;
    let model = match &args.model {
        Some(path) => Model::load(path)?,
        None => load_zoo("spikey-net")?,
    };
    let test = mnist.test.take(args.images.min(mnist.test.len()))?;
    let train_set = mnist.train.take(args.train_images.min(mnist.train.len()))?;
    let (xt, yt) = (model.features(&test)?, test.labels().to_vec());
    let (xtr, ytr) = (model.features(&train_set)?, train_set.labels().to_vec());
    let validation = mnist.train.select(&HIL_SCALE_SWEEP_VALIDATION.collect::<Vec<_>>())?;
    let (xval, yval) = (model.features(&validation)?, validation.labels().to_vec());
    let ann_pred = model.network.predict(xt.view())?;
    let ann_acc = 100.0 * ann_pred.iter().zip(&yt).filter(|(p, &y)| **p == usize::from(y)).count() as f64
        / yt.len() as f64;
    println!(
        "Spikey-net on the analog models: {} chip seeds, {} test images (ANN {ann_acc:.2} %), HIL {} epoch(s) on {} \
         training images{}",
        args.seeds,
        yt.len(),
        args.epochs,
        ytr.len(),
        if args.images < 10_000 || args.epochs < 5 { " (reduced setting; --paper for the full one)" } else { "" }
    );
    let mut summary = Vec::new();
    let mut studies: Vec<SeedStudy> = Vec::new();
    let mut rows = Vec::new();
    for &platform in &args.platforms {
        let p = spikeport::registry::platform(&platform.to_lowercase())?;
        let mut plan = HilPlan::new(&p, args.presentation)?;
        plan.config.epochs = args.epochs;
        args.overrides.apply(&mut plan.config);
        plan.config.check()?;
        plan.test_encoder = match args.test_with {
            TestWith::Setting => plan.test_encoder,
            TestWith::Train => plan.train_encoder,
            TestWith::Platform => p.encoder,
        };
        let (train_encoder, encoder) = (plan.train_encoder, plan.test_encoder);
        println!(
            "{platform}: {} setting; trained with {} ms at {} Hz (pause {} ms), tested with {} ms at {} Hz (pause {} ms); \
             {:?}",
            args.presentation,
            train_encoder.duration_ms(),
            train_encoder.max_freq_hz(),
            train_encoder.pause_ms(),
            encoder.duration_ms(),
            encoder.max_freq_hz(),
            encoder.pause_ms(),
            plan.config
        );
        let max_weight = match args.max_weight {
            Some(w) => w,
            None => {
                // the weight scale, swept with HIL in the loop on chip 0: one epoch on the first
                // 2,000 training images per candidate, judged on training images 50,000–50,999
                let sweep_train = HIL_SCALE_SWEEP_TRAIN_IMAGES.min(xtr.nrows());
                let (max_weight, points) = sweep_hil_scale(
                    plan.backend.as_ref(),
                    &plan.neuron,
                    &encoder,
                    &train_encoder,
                    &HilConfig { epochs: 1, ..plan.config.clone() },
                    &model.network,
                    &HIL_SCALE_SWEEP_US,
                    (xtr.slice(s![..sweep_train, ..]), &ytr[..sweep_train]),
                    (xval.view(), &yval),
                    0,
                )?;
                for p in &points {
                    println!(
                        "{platform} scale sweep, chip 0: max_weight {} µS: {:.1} % before, {:.1} % after 1 HIL epoch on \
                         {sweep_train} training images ({} validation images)",
                        p.max_weight,
                        p.before_pct,
                        p.after_pct,
                        yval.len()
                    );
                }
                max_weight
            }
        };
        println!("{platform}: max_weight {max_weight} µS");
        // what the readout saw: images without a decision (a tie or a silent output layer)
        // and spikes per image of the hidden and output layers
        let readout = |r: &Readout| {
            let last = r.spikes_per_image.len().saturating_sub(1);
            format!(
                "{:.1} % undecided, {:.1} hidden / {:.1} output spikes per image",
                r.no_decision_pct,
                r.spikes_per_image.get(1..last).map_or(0.0, |h| h.iter().sum::<f64>()),
                r.spikes_per_image.get(last).copied().unwrap_or(0.0)
            )
        };
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for seed in 0..args.seeds {
            let pb = ProgressBar::new(plan.total_batches(ytr.len()) as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} batches {elapsed_precise}")
            {
                pb.set_style(style.progress_chars("=> "));
            }
            pb.set_prefix(format!("{platform} chip {seed} HIL"));
            // the whole test set in one run per measurement
            let r = hil_on_chip(
                &plan,
                &model.network,
                max_weight,
                seed,
                (xtr.view(), &ytr),
                (xt.view(), &yt),
                yt.len().max(1),
                None,
                &mut |e| {
                    if matches!(e, HilEvent::Batch { .. }) {
                        pb.inc(1);
                    }
                    Control::Continue
                },
            )?;
            pb.finish_and_clear();
            let (b0, a0) = (r.before.accuracy_pct, r.after.accuracy_pct);
            println!(
                "{platform} chip {seed}: {b0:.2} % before HIL ({}), {a0:.2} % after ({}); training accuracy per \
                 epoch {:?}",
                readout(&r.before),
                readout(&r.after),
                r.epoch_accuracy_pct
            );
            rows.push(format!("| {platform} | {seed} | {b0:.2} | {a0:.2} |"));
            before.push(b0);
            after.push(a0);
        }
        // an ideal chip: 4-bit weights and the analog neuron only
        let profile = if platform == "Spikey" { Profile::spikey() } else { Profile::brainscales() };
        let ideal = Analog::new(profile, Mismatch::ideal(), Noise::none())?;
        let converted = spikeport::convert::convert_global(&model.network, &plan.neuron, max_weight, 1.0)?;
        let mut dep = ideal.session(&converted.network, Placement::default())?;
        let ideal_acc = read_out(dep.as_mut(), &encoder, xt.view(), &yt, yt.len().max(1))?.accuracy_pct;
        studies.push(SeedStudy {
            platform: platform.to_string(),
            ann_pct: ann_acc,
            ideal_pct: Some(ideal_acc),
            before: before.clone(),
            after: after.clone(),
        });
        summary.push((platform, max_weight, mean_sd(&before), mean_sd(&after), ideal_acc));
    }
    println!();
    println!("| platform | chip | before HIL (%) | after HIL (%) |");
    println!("|---|---|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    println!();
    println!(
        "| platform | max_weight (µS) | ANN (%) | ideal chip, no HIL (%) | before HIL, mean ± SD (%) | after HIL, mean ± SD (%) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (p, w, (bm, bs), (am, as_), ideal) in summary {
        println!("| {p} | {w} | {ann_acc:.2} | {ideal:.2} | {bm:.2} ± {bs:.2} | {am:.2} ± {as_:.2} |");
    }
    if let Some(p) = &args.json {
        let mut bytes = serde_json::to_vec_pretty(&studies)?;
        bytes.push(b'\n');
        spikeport::bench::report::write_atomic(p, &bytes)?;
        println!("wrote {}", p.display());
    }
    if let Some(dir) = &args.figures {
        std::fs::create_dir_all(dir)?;
        let w = seed_spread(&studies, &dir.join("seed_spread"))?;
        println!("wrote {} and {}", w.svg.display(), w.png.display());
    }
    println!();
    println!("total {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
