//! Spikey-net on the analog models over many virtual chips, before and after
//! hardware-in-the-loop training (Ostrau et al. 2020, DESIGN.md §4).
//!
//! ```text
//! cargo run --release --example analog_hil                      # 10 chip seeds, both platforms (reduced setting)
//! cargo run --release --example analog_hil -- --seeds 3 --images 500
//! cargo run --release --example analog_hil -- --model my-spikey-net.npz  # any 81×100×10 model file
//! cargo run --release --example analog_hil -- --json results/seeds.json --figures docs/figures
//! cargo run --release --example analog_hil -- --paper           # the paper's HIL setting: 5 epochs on all 60,000
//!                                                               # training images, 10,000 test images (hours)
//! ```
//!
//! For each platform (Spikey, BrainScaleS-1): sweep the global weight scale with HIL in the
//! loop on chip 0 (per candidate: one HIL epoch on the first 2,000 training images, judged
//! on training images 50,000–50,999; `experiment::sweep_hil_scale`); then for each chip seed: convert Spikey-net with it, deploy it on the seed's chip (calibrated
//! mismatch, default noise), measure test accuracy, train in the loop on training images
//! (the platform's paper setting: Spikey batch 100, lr 0.02; BrainScaleS batch 500, lr 0.008)
//! with the chip's test presentation (`--paper-presentation`: Spikey's 180 ms at 70 Hz, as
//! the paper), and measure again on the same chip. Then the same conversion on an ideal chip
//! (no mismatch, no noise: only 4-bit weights and the analog neuron) once per platform.
//! Prints mean ± SD over seeds.
//!
//! The default is a **reduced** setting so that it finishes in minutes on 2 cores: the
//! first `--images` (1,000) test images, HIL for `--epochs` (1) over `--train-images`
//! (10,000) training images. `--paper` is the paper's full setting, its training
//! presentation included.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::s;
use spikeport::analog::{Analog, Mismatch, Noise, Profile};
use spikeport::ann::{load_zoo, Model};
use spikeport::data::Mnist;
use spikeport::experiment::{
    sweep_hil_scale, HIL_SCALE_SWEEP_TRAIN_IMAGES, HIL_SCALE_SWEEP_US, HIL_SCALE_SWEEP_VALIDATION,
};
use spikeport::hil::{train, Control, HilConfig, HilEvent};
use spikeport::plot::{mean_sd, seed_spread, SeedStudy};
use spikeport::registry::HilPresentation;
use spikeport::snn::{DynBackend, Placement, Recording, Session};

struct Args {
    seeds: u64,
    images: usize,
    train_images: usize,
    epochs: usize,
    json: Option<std::path::PathBuf>,
    figures: Option<std::path::PathBuf>,
    presentation: HilPresentation,
    model: Option<std::path::PathBuf>,
}

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
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name}: `{v}` is not a whole number ≥ 1")),
            }
        };
        match flag.as_str() {
            "--seeds" => a.seeds = num("--seeds")? as u64,
            "--images" => a.images = num("--images")?,
            "--train-images" => a.train_images = num("--train-images")?,
            "--epochs" => a.epochs = num("--epochs")?,
            "--json" => a.json = Some(it.next().ok_or("--json needs a path")?.into()),
            "--figures" => a.figures = Some(it.next().ok_or("--figures needs a folder")?.into()),
            "--paper" => {
                a.images = 10_000;
                a.train_images = 60_000;
                a.epochs = 5;
                a.presentation = HilPresentation::Paper;
            }
            "--paper-presentation" => a.presentation = HilPresentation::Paper,
            "--model" => a.model = Some(it.next().ok_or("--model needs a path")?.into()),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: analog_hil [--seeds N] [--images N] \
                     [--train-images N] [--epochs N] [--paper] [--paper-presentation] [--model FILE.npz] [--json PATH] \
                     [--figures DIR]"
                ))
            }
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
    for platform in ["Spikey", "BrainScaleS"] {
        let p = spikeport::registry::platform(&platform.to_lowercase())?;
        let hil = p.hil(args.presentation).ok_or("an analog platform has HIL settings")?;
        let (encoder, lif) = (p.encoder, p.neuron);
        let (backend, train_encoder, mut cfg) = (p.backend()?, hil.encoder, hil.config.clone());
        cfg.epochs = args.epochs;
        // the weight scale, swept with HIL in the loop on chip 0: one epoch on the first
        // 2,000 training images per candidate, judged on training images 50,000–50,999
        let sweep_train = HIL_SCALE_SWEEP_TRAIN_IMAGES.min(xtr.nrows());
        let (max_weight, points) = sweep_hil_scale(
            backend.as_ref(),
            &lif,
            &encoder,
            &train_encoder,
            &HilConfig { epochs: 1, ..cfg.clone() },
            &model.network,
            &HIL_SCALE_SWEEP_US,
            (xtr.slice(s![..sweep_train, ..]), &ytr[..sweep_train]),
            (xval.view(), &yval),
            0,
        )?;
        for p in &points {
            println!(
                "{platform} scale sweep, chip 0: max_weight {} µS: {:.1} % before, {:.1} % after 1 HIL epoch on {sweep_train} \
                 training images ({} validation images)",
                p.max_weight,
                p.before_pct,
                p.after_pct,
                yval.len()
            );
        }
        println!("{platform}: max_weight {max_weight} µS");
        let converted = spikeport::convert::convert_global(&model.network, &lif, max_weight, 1.0)?;
        let net = &converted.network;
        let input = encoder.encode(xt.view())?;
        let accuracy = |session: &mut dyn Session| -> Result<f64, Box<dyn std::error::Error>> {
            let out = session.run(&input, &Recording::counts_only())?;
            Ok(out.accuracy_pct(&yt)?)
        };
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for seed in 0..args.seeds {
            let mut dep = backend.session(net, Placement::from(seed))?;
            let b0 = accuracy(dep.as_mut())?;
            let batches = (ytr.len().div_ceil(cfg.batch_size) * cfg.epochs) as u64;
            let pb = ProgressBar::new(batches);
            if let Ok(style) =
                ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} batches {elapsed_precise}")
            {
                pb.set_style(style.progress_chars("=> "));
            }
            pb.set_prefix(format!("{platform} chip {seed} HIL"));
            train(
                dep.as_mut(),
                &model.network,
                converted.scale,
                &train_encoder,
                xtr.view(),
                &ytr,
                &cfg,
                None,
                &mut |e| {
                    if matches!(e, HilEvent::Batch { .. }) {
                        pb.inc(1);
                    }
                    Control::Continue
                },
            )?;
            pb.finish_and_clear();
            let a0 = accuracy(dep.as_mut())?;
            println!("{platform} chip {seed}: {b0:.2} % before HIL, {a0:.2} % after");
            rows.push(format!("| {platform} | {seed} | {b0:.2} | {a0:.2} |"));
            before.push(b0);
            after.push(a0);
        }
        // an ideal chip: 4-bit weights and the analog neuron only
        let profile = if platform == "Spikey" { Profile::spikey() } else { Profile::brainscales() };
        let ideal = Analog::new(profile, Mismatch::ideal(), Noise::none())?;
        let mut dep = ideal.session(net, Placement::default())?;
        let ideal_acc = accuracy(dep.as_mut())?;
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
