//! Energy per inference of the Diehl network (784×1200×1200×10) on every built-in
//! profile, for an **invented** activity — an illustration of the API and of where the
//! energy goes, not a measurement. Real figures come from the harness, which fills
//! `EnergyInput` from each run's `Activity` and `MappingReport`.
//!
//! Run: `cargo run -p spikeport-energy --example diehl_spinn5`

use spikeport_energy::{profiles, EnergyError, EnergyInput, HostMeter};

fn main() -> Result<(), EnergyError> {
    let meter = HostMeter::start();
    // One image: 500 ms + 50 ms pause. Input: 784 pixels of mean intensity 0.13 at
    // 120 Hz for 500 ms ≈ 6,148 spikes, each reaching 1,200 hidden neurons. Hidden
    // layers: 3,300 and 2,000 spikes (invented), output 50.
    let input = |hardware_time_s: f64, chips: f64| EnergyInput {
        images: 1.0,
        neurons: 2_410.0,
        spikes: 3_300.0 + 2_000.0 + 50.0,
        input_spikes: 6_148.0,
        synaptic_events: 6_148.0 * 1_200.0 + 3_300.0 * 1_200.0 + 2_000.0 * 10.0,
        bio_time_ms: 550.0,
        hardware_time_s,
        chips,
        wall_time_s: 0.8,
        ..EnergyInput::default()
    };
    // Modelled hardware time per platform: real time on SpiNNaker, 1e4 speed-up on the
    // analog systems (which could not run Diehl: it needs 2,410 neurons, Spikey has
    // 384; shown for the arithmetic only), an invented 0.8 s wall time for GeNN.
    let cases = [
        (profiles::spinn5(), input(0.55, 0.0)),
        (profiles::spinn3(), input(0.55, 0.0)),
        (profiles::genn_gpu_rtx2070(), input(0.8, 0.0)),
        (profiles::genn_cpu_ryzen2600x(), input(0.8, 0.0)),
        (profiles::brainscales1(), input(0.55 / 1e4, 6.0)),
        (profiles::spikey(), input(0.55 / 1e4, 1.0)),
        (profiles::host_cpu(), input(0.8, 0.0)),
    ];
    for (profile, x) in &cases {
        println!("{}", profile.estimate(x)?.per_image()?.summary());
    }
    println!("host energy of this example: {}", meter.stop());
    Ok(())
}
