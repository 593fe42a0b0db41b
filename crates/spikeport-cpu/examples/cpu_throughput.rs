//! Speed and agreement of the CPU backends on real MNIST test images in the paper's
//! digital setting (IF_cond_exp, regular trains at 120 Hz, 500 ms + 50 ms per image,
//! global conversion).
//!
//! ```text
//! cargo run --release -p spikeport-cpu --example cpu_throughput -- [options]
//!   --network NAME     zoo network (spikey-net excluded), or mlp100: a 784×100×10
//!                      network trained here for 2 epochs on 10,000 training images
//!                      (default nas63)
//!   --images N         first N test images (default 1000)
//!   --max-weight W     µS (default 0.015)
//!   --run LIST         comma-separated runs among fast, fast01 (Fast at 0.1 ms),
//!                      fastgenn (Fast at 1 ms with GeNN's held-current step),
//!                      ref (Reference at 0.1 ms), ref1 (Reference at 1 ms),
//!                      refnest (Reference at 0.1 ms with NEST's tolerance, 1e-3 mV)
//!                      (default fast)
//!   --batch B          images per run() call (default 1000)
//!   --tile T           images stepped in lockstep per task (default: the backend's)
//! ```
//!
//! For each run it prints the accuracy, wall time per image with all of rayon's threads
//! and the spikes and synaptic events per image; for every pair of runs the fraction of
//! images with the same predicted class (a tie counts as a prediction of its own).

use std::error::Error;
use std::time::Instant;

use ndarray::Axis;
use spikeport_ann::{Init, Labelled, Network, TrainConfig};
use spikeport_cpu::{CondExpStep, Fast, Reference};
use spikeport_data::Mnist;
use spikeport_lif::RkControl;
use spikeport_snn::{Activity, Backend, Encoder, IfCondExpParams, Recording, SnnNetwork};

struct Args {
    network: String,
    images: usize,
    max_weight: f64,
    runs: Vec<String>,
    batch: usize,
    tile: Option<usize>,
}

fn parse() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        network: "nas63".into(),
        images: 1000,
        max_weight: 0.015,
        runs: vec!["fast".into()],
        batch: 1000,
        tile: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--network" => a.network = value,
            "--images" => a.images = value.parse()?,
            "--max-weight" => a.max_weight = value.parse()?,
            "--run" => a.runs = value.split(',').map(String::from).collect(),
            "--batch" => a.batch = value.parse::<usize>()?.max(1),
            "--tile" => a.tile = Some(value.parse()?),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(a)
}

/// A 784×100×10 ReLU network trained briefly, for the Reference target of the issue.
fn mlp100() -> Result<Network, Box<dyn Error>> {
    let train = Mnist::load()?.train.take(10_000)?;
    let x = train.scaled();
    let mut net = Network::init(&[784, 100, 10], false, Init::GlorotUniform, 1)?;
    let cfg = TrainConfig { epochs: 2, ..TrainConfig::default() };
    spikeport_ann::train(&mut net, Labelled::new(x.view(), train.labels()), None, &cfg, &mut |_| {})?;
    Ok(net)
}

/// Predictions, summed activity and wall time, s, of a simulation.
type Simulated = (Vec<Option<usize>>, Activity, f64);

/// Run `net` on all images in batches.
fn simulate<B: Backend>(
    b: &B,
    net: &SnnNetwork,
    x: ndarray::ArrayView2<'_, f32>,
    batch: usize,
) -> Result<Simulated, Box<dyn Error>> {
    let mut dep = b.deploy(net, 0)?;
    let enc = Encoder::paper_digital();
    let mut preds = Vec::with_capacity(x.nrows());
    let mut activity = Activity::default();
    let start = Instant::now();
    for (k, chunk) in x.axis_chunks_iter(Axis(0), batch).enumerate() {
        let input = enc.encode_from(chunk, (k * batch) as u64)?;
        let out = b.run(&mut dep, &input, &Recording::counts_only())?;
        preds.extend(out.predictions());
        activity.accumulate(&out.activity);
    }
    Ok((preds, activity, start.elapsed().as_secs_f64()))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse()?;
    let test = Mnist::load_test()?.take(args.images)?;
    let (ann, x) = if args.network == "mlp100" {
        (mlp100()?, test.scaled())
    } else {
        let model = spikeport_ann::load_zoo(&args.network)?;
        let x = model.features(&test)?;
        (model.network, x)
    };
    let labels = test.labels();
    let n = labels.len();
    let ann_pred = ann.predict(x.view())?;
    let ann_acc =
        ann_pred.iter().zip(labels).filter(|(p, &l)| **p == usize::from(l)).count() as f64 / n as f64;
    let lif = IfCondExpParams::paper_digital().into_model()?;
    let net = spikeport_convert::convert_global(&ann, &lif, args.max_weight, 1.0)?.network;
    println!(
        "{} {:?}, {n} test images, max_weight {} µS, {} rayon threads; ANN accuracy {:.2} %",
        args.network,
        net.sizes(),
        args.max_weight,
        rayon::current_num_threads(),
        100.0 * ann_acc
    );
    let mut results: Vec<(String, Vec<Option<usize>>)> = Vec::new();
    for run in &args.runs {
        let (preds, act, wall) = match run.as_str() {
            "fast" | "fast01" | "fastgenn" => {
                let dt = if run == "fast01" { 0.1 } else { Fast::DEFAULT_DT_MS };
                let mut b = Fast::new(dt)?;
                if run == "fastgenn" {
                    b = b.with_cond_exp_step(CondExpStep::GennHeldCurrent);
                }
                if let Some(t) = args.tile {
                    b = b.with_max_tile(t)?;
                }
                simulate(&b, &net, x.view(), args.batch)?
            }
            "ref" | "ref1" | "refnest" => {
                let dt = if run == "ref1" { 1.0 } else { Reference::DEFAULT_DT_MS };
                let mut b = Reference::new(dt)?;
                if run == "refnest" {
                    b = b.with_control(RkControl::Adaptive { abs_mv: 1e-3, rel: 0.0 })?;
                }
                if let Some(t) = args.tile {
                    b = b.with_max_tile(t)?;
                }
                simulate(&b, &net, x.view(), args.batch)?
            }
            other => return Err(format!("unknown run {other}").into()),
        };
        let correct = preds.iter().zip(labels).filter(|(p, &l)| **p == Some(usize::from(l))).count();
        let spikes: Vec<String> = act.spikes_per_image().iter().map(|s| format!("{s:.0}")).collect();
        println!(
            "{run:>6}: accuracy {:.2} %, {:.3} ms/image wall ({:.1} s in all), spikes/image [{}], \
             synaptic events/image {:.3e}, {:.3e} events/s",
            100.0 * correct as f64 / n as f64,
            1e3 * wall / n as f64,
            wall,
            spikes.join(", "),
            act.synaptic_events_per_image(),
            act.total_synaptic_events() as f64 / wall
        );
        results.push((run.clone(), preds));
    }
    for (i, (a, pa)) in results.iter().enumerate() {
        for (b, pb) in &results[i + 1..] {
            let same = pa.iter().zip(pb).filter(|(p, q)| p == q).count();
            println!("same class {a} vs {b}: {:.2} % ({same}/{n})", 100.0 * same as f64 / n as f64);
        }
    }
    Ok(())
}
