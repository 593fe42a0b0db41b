//! The GPU backend against `Fast` on a zoo network in the paper's digital setting
//! (IF_cond_exp, regular trains at 120 Hz, 500 ms + 50 ms, global conversion, dt 1 ms):
//! same-class agreement, accuracies, whether the outputs are bit-identical, and wall
//! times per image. Narrated, seeded by construction (no randomness).
//!
//! ```sh
//! cargo run --release -p spikeport-gpu --example gpu_vs_fast -- --network nas63 --images 2000
//! cargo run --release -p spikeport-gpu --example gpu_vs_fast -- --network diehl --images 200 --max-weight 0.015
//! ```

use std::time::Instant;

use spikeport_cpu::Fast;
use spikeport_gpu::Gpu;
use spikeport_snn::{Backend, Encoder, IfCondExpParams, Recording, RunOutput, SnnNetwork, SpikeInput};

const USAGE: &str =
    "usage: gpu_vs_fast [--network nas63] [--images N] [--max-weight MICROSIEMENS] [--chunk-images N]";

struct Args {
    network: String,
    images: usize,
    max_weight: f64,
    chunk_images: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { network: "nas63".into(), images: 500, max_weight: 0.015, chunk_images: 1024 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--network" => a.network = value()?,
            "--images" => a.images = value()?.parse().map_err(|e| format!("--images: {e}"))?,
            "--max-weight" => a.max_weight = value()?.parse().map_err(|e| format!("--max-weight: {e}"))?,
            "--chunk-images" => {
                a.chunk_images = value()?.parse().map_err(|e| format!("--chunk-images: {e}"))?
            }
            _ => return Err(USAGE.into()),
        }
    }
    Ok(a)
}

/// Run `input` on `b`, returning the output and the wall time, s.
fn timed<B: Backend>(
    b: &B,
    net: &SnnNetwork,
    input: &SpikeInput,
) -> Result<(RunOutput, f64), Box<dyn std::error::Error>> {
    let mut dep = b.deploy(net, 0)?;
    let t = Instant::now();
    let out = b.run(&mut dep, input, &Recording::counts_only())?;
    Ok((out, t.elapsed().as_secs_f64()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let gpu = Gpu::new(1.0)?.with_chunk_images(args.chunk_images)?;
    println!("adapter: {}", gpu.adapter().summary());
    let model = spikeport_ann::load_zoo(&args.network)?;
    let test = spikeport_data::Mnist::load_test()?.take(args.images)?;
    let x = model.features(&test)?;
    let lif = IfCondExpParams::paper_digital().into_model()?;
    let net = spikeport_convert::convert_global(&model.network, &lif, args.max_weight, 1.0)?.network;
    let input = Encoder::paper_digital().encode(x.view())?;
    println!("{} on {} test images, max_weight {} µS", args.network, args.images, args.max_weight);

    let (g, tg) = timed(&gpu, &net, &input)?;
    let (f, tf) = timed(&Fast::default(), &net, &input)?;
    let n = args.images as f64;
    let same = g.predictions().iter().zip(f.predictions()).filter(|(a, b)| **a == *b).count() as f64 / n;
    let (acc_g, acc_f) = (g.accuracy_pct(test.labels())?, f.accuracy_pct(test.labels())?);
    println!("same class: {:.2} %", 100.0 * same);
    println!("accuracy: GPU {acc_g:.2} %, Fast {acc_f:.2} % (difference {:.2} pp)", acc_g - acc_f);
    println!(
        "bit-identical counts: {}, events: {}",
        g.counts == f.counts,
        g.activity.synaptic_events == f.activity.synaptic_events
    );
    println!(
        "wall time: GPU {tg:.2} s ({:.2} ms/image, {} chunks, {} submissions), Fast {tf:.2} s ({:.2} ms/image)",
        1e3 * tg / n,
        g.activity.counters.get(&spikeport_snn::Counter::GpuChunks).copied().unwrap_or(0),
        g.activity.counters.get(&spikeport_snn::Counter::GpuSubmissions).copied().unwrap_or(0),
        1e3 * tf / n
    );
    println!("spikes per image (GPU): {:?}", g.activity.spikes_per_image());
    Ok(())
}
