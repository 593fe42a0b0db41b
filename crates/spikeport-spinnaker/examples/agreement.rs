//! Agreement of the SpiNNaker model with spikeport-cpu's `Reference` (NEST-like, f64,
//! adaptive integration) and `Fast` (GeNN-like, f32, exact step), all at dt = 1 ms, on
//! converted zoo networks in the paper's digital setting (IF_cond_exp, 500 ms + 50 ms,
//! 120 Hz, global weight scale, delay 1 ms).
//!
//! ```text
//! cargo run --release -p spikeport-spinnaker --features cpu-compare --example agreement -- \
//!     [max_weight_uS=0.015] [images=1000] [nets=nas63,nas129,nastop,diehl] [neurons_per_core=255]
//! ```

use std::error::Error;
use std::time::Instant;

use spikeport_cpu::{Fast, Reference};
use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, RunOutput, SnnNetwork, SpikeInput};
use spikeport_spinnaker::Spinnaker;

fn run<B: Backend>(b: &B, net: &SnnNetwork, input: &SpikeInput) -> Result<(RunOutput, f64), Box<dyn Error>> {
    let t = Instant::now();
    let mut dep = b.deploy(net, 0)?;
    let out = b.run(&mut dep, input, &Recording::counts_only())?;
    Ok((out, t.elapsed().as_secs_f64()))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let max_weight: f64 = args.get(1).map_or(Ok(0.015), |s| s.parse())?;
    let n: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let nets: Vec<String> = args
        .get(3)
        .map_or("nas63,nas129,nastop,diehl".to_string(), |s| s.clone())
        .split(',')
        .map(str::to_string)
        .collect();
    let per_core: Option<usize> = args.get(4).map(|s| s.parse()).transpose()?;
    let test = spikeport_data::Mnist::load_test()?.take(n)?;
    let labels = test.labels();
    let lif = IfCondExpParams::paper_digital().into_model()?;
    println!(
        "max_weight {max_weight} uS, {n} MNIST test images, dt 1 ms for all backends, SpiNNaker neurons per core {}\n",
        per_core.map_or("255 (default)".to_string(), |n| n.to_string())
    );
    println!("| net | ANN | Reference | Fast | SpiNNaker | SpiNNaker − Reference (pp) | same prediction as Reference | output spikes SpiNNaker / Reference | cores / chips | saturations | overrun core-ticks | SpiNNaker wall s |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for name in &nets {
        let model = spikeport_ann::load_zoo(name)?;
        let x = test.features(model.header.preprocessing)?;
        let ann_acc = model
            .network
            .evaluate(x.view(), labels)
            .map(|e| e.correct as f64 / e.total.max(1) as f64)
            .unwrap_or(f64::NAN);
        let net = spikeport_convert::convert_global(&model.network, &lif, max_weight, 1.0)?.network;
        let input = Encoder::paper_digital().encode(x.view())?;
        let (r, _) = run(&Reference::new(1.0)?, &net, &input)?;
        let (f, _) = run(&Fast::new(1.0)?, &net, &input)?;
        let cfg = spikeport_spinnaker::SpinnakerConfig::spinn5();
        let spinn = Spinnaker::new(per_core.map_or(cfg.clone(), |n| cfg.with_neurons_per_core(n)))?;
        let t = Instant::now();
        let mut dep = spinn.deploy(&net, 0)?;
        let s = spinn.run(&mut dep, &input, &Recording::counts_only())?;
        let wall = t.elapsed().as_secs_f64();
        let stats = dep.last_run().cloned().unwrap_or_default();
        let (ar, af, asp) = (r.accuracy_pct(labels)?, f.accuracy_pct(labels)?, s.accuracy_pct(labels)?);
        let same = r.predictions().iter().zip(s.predictions()).filter(|(a, b)| **a == *b).count();
        let (so, ro) = (s.output_counts().sum(), r.output_counts().sum());
        println!(
            "| {name} | {:.2} % | {:.2} % | {:.2} % | {:.2} % | {:+.2} | {same}/{n} | {so} / {ro} | {} / {} | {} | {} | {wall:.1} |",
            100.0 * ann_acc,
            ar,
            af,
            asp,
            asp - ar,
            dep.details().cores,
            dep.details().chips,
            stats.ring_saturations(),
            stats.overrun_ticks(),
        );
    }
    Ok(())
}
