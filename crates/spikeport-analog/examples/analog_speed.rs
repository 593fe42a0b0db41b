//! Host speed of the analog models: Spikey-net (81×100×10, the shipped
//! `models/spikey-net.npz`) converted with the paper's settings, run on the first MNIST
//! test images on Spikey (300 + 50 ms per image) and BrainScaleS (900 + 50 ms), with
//! calibrated mismatch and the default noise. Prints images per second and accuracy.
//!
//! ```sh
//! cargo run --release -p spikeport-analog --example analog_speed -- 2000
//! RAYON_NUM_THREADS=1 cargo run --release -p spikeport-analog --example analog_speed
//! ```

use std::time::Instant;

use spikeport_analog::Platform;
use spikeport_snn::{Backend, Counter, Recording};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 1000,
    };
    let model = spikeport_ann::load_zoo("spikey-net")?;
    let test = spikeport_data::Mnist::load_test()?.take(n)?;
    let x = model.features(&test)?;
    let labels = test.labels();
    println!("Spikey-net, {n} MNIST test images, {} rayon threads", rayon::current_num_threads());
    for platform in [Platform::Spikey, Platform::BrainScaleS] {
        let backend = platform.backend(spikeport_analog::Variability::calibrated())?;
        let lif = platform.paper_neuron().into_model()?;
        let net =
            spikeport_convert::convert_global(&model.network, &lif, platform.paper_max_weight_us(), 1.0)?
                .network;
        let mut dep = backend.deploy(&net, 0)?;
        let input = platform.paper_encoder().encode(x.view())?;
        let t0 = Instant::now();
        let out = backend.run(&mut dep, &input, &Recording::counts_only())?;
        let s = t0.elapsed().as_secs_f64();
        println!(
            "{:12} {:7.1} images/s ({:.2} ms per image), accuracy {:.2} %, modelled hardware time {:.3} s + \
             run overhead {:.1} s",
            backend.profile().name,
            n as f64 / s,
            1e3 * s / n as f64,
            out.accuracy_pct(labels)?,
            out.activity.hardware_time_s,
            out.activity.counters.get(&Counter::RunOverheadUs).copied().unwrap_or(0) as f64 * 1e-6,
        );
    }
    Ok(())
}
