//! Why Spikey-net trains with a hidden offset: the study behind `hidden_offset = 0.6`
//! (docs/ann-zoo.md).
//!
//! ```text
//! cargo run --release --example offset_study                          # θ 0…1, seeds 1, 12, 22 (about 6 min)
//! cargo run --release --example offset_study -- --offsets 0,0.6 --seeds 1
//! cargo run --release --example offset_study -- --diagnose            # only the hidden-count fit of the shipped model
//! ```
//!
//! For every offset θ and training seed: train Spikey-net with the paper's recipe plus
//! `hidden_offset = θ`, convert it with the paper's method on `Fast` (one global factor swept
//! on the first 500 training images, as `paper_benchmark`), and measure the conversion loss
//! (ANN − SNN accuracy on the same images) on training images 50,000–59,999 and on the 10,000
//! test images. Prints a Markdown table; θ is chosen by the loss on the training images.
//!
//! `--diagnose` runs the recipe's and the shipped model on `Fast` at their swept weight scale
//! and prints, for each model, the hidden neurons' mean spike count against their ANN
//! activation (binned), the activation below which they stay silent, and the accuracy of the
//! hidden counts read out through the ANN's output weights.

use std::error::Error;

use ndarray::{s, Array2, Axis};
use spikeport::ann::{load_zoo, zoo_net, Model, Network};
use spikeport::bench::{convert, run_cell, BackendSetup, Conversion, Record};
use spikeport::convert::SweepSettings;
use spikeport::data::{Dataset, Mnist};
use spikeport::registry::platform;
use spikeport::snn::Recording;
use spikeport::table::DIGITAL_SWEEP_US;

struct Args {
    offsets: Vec<f32>,
    seeds: Vec<u64>,
    diagnose: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        offsets: vec![0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0],
        seeds: vec![1, 12, 22],
        diagnose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--offsets" => {
                let v = it.next().ok_or("--offsets needs a value")?;
                a.offsets = v
                    .split(',')
                    .map(|s| match s.parse::<f32>() {
                        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                        _ => Err(format!("--offsets: `{s}` is not a number ≥ 0")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--seeds" => {
                let v = it.next().ok_or("--seeds needs a value")?;
                a.seeds = v
                    .split(',')
                    .map(|s| s.parse::<u64>().map_err(|_| format!("--seeds: `{s}` is not a whole number")))
                    .collect::<Result<_, _>>()?;
            }
            "--diagnose" => a.diagnose = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: offset_study [--offsets X,Y,..] [--seeds N,M,..] [--diagnose]"
                ))
            }
        }
    }
    Ok(a)
}

/// The paper's conversion on `Fast`: `max_weight` swept on 500 training images, or fixed.
fn setup(max_weight: Option<f64>) -> Result<BackendSetup, Box<dyn Error>> {
    let p = platform("fast")?;
    let conversion = match max_weight {
        Some(max_weight) => Conversion::Global { max_weight },
        None => Conversion::Sweep {
            settings: SweepSettings {
                max_weights: DIGITAL_SWEEP_US.to_vec(),
                max_freqs_hz: Vec::new(),
                seed: 0,
            },
            calibration_images: 500,
        },
    };
    Ok(BackendSetup {
        name: "fast".into(),
        backend: p.backend()?,
        neuron: p.neuron,
        encoder: p.encoder,
        conversion,
        batch_size: 256,
        seed: 0,
        checkpoint_every_ms: None,
        energy_profiles: Vec::new(),
        timing: spikeport::platform::Timing::Host,
        capacity: spikeport::platform::Capacity::Backend,
        copies: spikeport::bench::Copies::One,
        keep_predictions: false,
        priced_images: None,
    })
}

/// Conversion loss of `model` on the test images (weight scale swept) and on the held
/// training slice (the same weight scale).
fn losses(model: &Model, mnist: &Mnist, slice: &Dataset) -> Result<(Record, Record), Box<dyn Error>> {
    let test = run_cell(model, &mnist.test, &mnist.train, &setup(None)?, &mut |_| {})?;
    let on_train = run_cell(model, slice, &mnist.train, &setup(test.max_weight)?, &mut |_| {})?;
    Ok((test, on_train))
}

/// Hidden spike counts against ANN activations of `model` on `data` at its swept scale.
fn diagnose(name: &str, model: &Model, mnist: &Mnist) -> Result<(), Box<dyn Error>> {
    let data = &mnist.test;
    let s = setup(None)?;
    let converted = convert(model, &mnist.train, &s)?;
    let mut session = s.backend.session(&converted.network, spikeport::snn::Placement::default())?;
    let x = model.features(data)?;
    let acts = model.network.forward_all(x.view())?;
    let hidden = acts.first().ok_or("the network has no layer")?;
    let mut counts = Array2::<f32>::zeros(hidden.dim());
    let mut snn_correct = 0usize;
    for (b, xb) in x.axis_chunks_iter(Axis(0), 1000).enumerate() {
        let out =
            session.run(&converted.encoder.encode_from(xb, (b * 1000) as u64)?, &Recording::counts_only())?;
        let labels = &data.labels()[b * 1000..b * 1000 + xb.nrows()];
        snn_correct +=
            out.predictions().iter().zip(labels).filter(|(p, &y)| **p == Some(usize::from(y))).count();
        let c = out.counts.get(1).ok_or("no hidden layer in the run")?;
        counts.slice_mut(s![b * 1000..b * 1000 + xb.nrows(), ..]).assign(&c.mapv(|k| k as f32));
    }
    let top = hidden.iter().copied().fold(0.0f32, f32::max);
    let bins = 16;
    // per bin: Σ activation, Σ spikes, units × images, of which fired
    let mut sum = vec![(0.0f64, 0.0f64, 0usize, 0usize); bins];
    for (&a, &c) in hidden.iter().zip(counts.iter()) {
        let k = ((a / top * bins as f32) as usize).min(bins - 1);
        sum[k].0 += f64::from(a);
        sum[k].1 += f64::from(c);
        sum[k].2 += 1;
        sum[k].3 += usize::from(c > 0.0);
    }
    println!("\n{name}: {} (hidden layer, {} test images)", converted.description, data.len());
    println!("| ANN activation (bin mean) | mean spikes in 500 ms | fired (%) | hidden units × images |");
    println!("|---:|---:|---:|---:|");
    for (a, c, n, f) in sum.iter().filter(|b| b.2 > 0) {
        let m = *n as f64;
        println!("| {:.3} | {:.1} | {:.1} | {n} |", a / m, c / m, 100.0 * *f as f64 / m);
    }
    let snn = 100.0 * snn_correct as f64 / data.len() as f64;
    // the ANN's output layer alone, fed the hidden spike counts
    let output = Network::new(vec![model.network.layers().last().ok_or("no output layer")?.clone()])?;
    let readout = output.evaluate(counts.view(), data.labels())?.accuracy_pct();
    println!(
        "hidden counts read out through the ANN's output weights: {readout:.2} % (ANN {:.2} %, SNN {:.2} %)",
        model.network.evaluate(x.view(), data.labels())?.accuracy_pct(),
        snn
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let mnist = Mnist::load()?;
    if args.diagnose {
        let mut recipe = zoo_net("spikey-net")?;
        recipe.config.hidden_offset = 0.0;
        let (paper, _) = recipe.train(&mnist.train, &mnist.test, &mut |_| {})?;
        diagnose("Spikey-net, the paper's recipe (θ = 0)", &paper, &mnist)?;
        diagnose("Spikey-net, shipped", &load_zoo("spikey-net")?, &mnist)?;
        return Ok(());
    }
    let slice = mnist.train.select(&(50_000..60_000).collect::<Vec<_>>())?;
    println!("| θ | seed | ANN test (%) | SNN test (%) | max_weight (µS) | loss on training images 50k–60k (pp) | loss on test (pp) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut means = Vec::new();
    for &theta in &args.offsets {
        let (mut on_train, mut on_test) = (0.0, 0.0);
        for &seed in &args.seeds {
            let mut recipe = zoo_net("spikey-net")?;
            recipe.config.hidden_offset = theta;
            recipe.config.seed = seed;
            let (model, _) = recipe.train(&mnist.train, &mnist.test, &mut |_| {})?;
            let (test, train) = losses(&model, &mnist, &slice)?;
            println!(
                "| {theta} | {seed} | {:.2} | {:.2} | {} | {:.2} | {:.2} |",
                test.ann_accuracy_pct,
                test.snn_accuracy_pct,
                test.max_weight.map_or("—".into(), |w| w.to_string()),
                train.conversion_loss_pp,
                test.conversion_loss_pp
            );
            on_train += train.conversion_loss_pp;
            on_test += test.conversion_loss_pp;
        }
        let n = args.seeds.len().max(1) as f64;
        means.push((theta, on_train / n, on_test / n));
    }
    println!("\n| θ | mean loss on training images (pp) | mean loss on test (pp) |\n|---:|---:|---:|");
    for (t, a, b) in &means {
        println!("| {t} | {a:.2} | {b:.2} |");
    }
    if let Some(best) = means.iter().min_by(|p, q| p.1.total_cmp(&q.1)) {
        println!("\nlowest mean loss on the training images: θ = {}", best.0);
    }
    Ok(())
}
