//! Built-in platform profiles, with the source of every coefficient.
//!
//! The measured profiles take their numbers from the SNABSuite energy model of the
//! paper's group (Ostrau, Klarhorst, Thies, Rückert, *Benchmarking Neuromorphic Hardware
//! and Its Energy Expenditure*, Front. Neurosci. 16:873935, 2022; used for the energy per
//! inference in Ostrau et al., ICANN 2020, arXiv 2004.01656): the files
//! `config_energy/*.json` of `hbp-unibi/SNABSuite` (commit [`SNABSUITE_COMMIT`]), which
//! store `[mean, error]` pairs. Conversions applied here:
//!
//! * SNABSuite stores powers in kW (J per ms, to be multiplied by a runtime in ms); they
//!   are converted to W (× 1000).
//! * The stored error is taken as 1 SD. SNABSuite propagates errors linearly (sums of
//!   relative errors), so these are on the conservative side of a 1 SD.
//! * Where DESIGN.md §5 gives a range for the synaptic event (SpiNN-5 7.3–7.6 nJ,
//!   SpiNN-3 7.5–9.6 nJ, Ryzen 14–58 nJ), the two ends are the one-to-all
//!   (`Transmission_S2A`) and the random-connectivity (`Transmission_random`)
//!   benchmarks. A dense layer sits between the two, so the coefficient is their
//!   equal-weight mixture ([`Coefficient::mixture`]): mean = midpoint, variance = mean
//!   of the two variances + (b − a)²/4. Where DESIGN.md gives one value (RTX 2070,
//!   Spikey), it is the random-connectivity benchmark alone, which is also what
//!   SNABSuite charges for the list-connected projections of the paper's networks.
//! * Per-neuron costs are the "not recorded neuron" values (`idle_neurons`), as in
//!   DESIGN.md; per-spike costs are the recorded-spike values (`spike`).
//!
//! `brainscales1` has no measured source and is an estimate from stated assumptions;
//! `host_cpu` prices the machine running spikeport with an assumed power (see
//! [`crate::host`] for measuring it with RAPL instead).

use crate::{Coefficient, Profile, ProfileKind, Term};

/// The SNABSuite commit whose `config_energy/*.json` files the measured profiles quote.
pub const SNABSUITE_COMMIT: &str = "8202f41729360b6ba03b234360259540ff645778";

fn snab(file: &str, key: &str, note: &str) -> String {
    let mut s = format!(
        "SNABSuite energy model (Ostrau et al., Front. Neurosci. 16:873935, 2022): \
         hbp-unibi/SNABSuite@{} config_energy/{file}, {key}",
        &SNABSUITE_COMMIT[..7]
    );
    if !note.is_empty() {
        s.push_str("; ");
        s.push_str(note);
    }
    s
}

const KW_TO_W: f64 = 1e3;

/// SpiNNaker SpiNN-5 board (48 chips), sPyNNaker, real time.
///
/// | term | value ± SD | SNABSuite key |
/// |---|---|---|
/// | idle power | 23.049 ± 0.046 W | `power.idle` |
/// | power per neuron × hardware time | 92.65 ± 5.83 µW | `power.idle_neurons` |
/// | energy per spike | 10.04 ± 8.75 nJ | `energy.spike` |
/// | energy per synaptic event | 7.44 ± 8.25 nJ | mixture of `energy.Transmission_S2A` (7.32 ± 11.59 nJ) and `energy.Transmission_random` (7.55 ± 1.29 nJ) |
///
/// Idle is one board's; for deployments over several boards, multiply or fit a
/// [`Term::BoardPower`] profile.
pub fn spinn5() -> Profile {
    let f = "spinnaker_energy_spinn5.json";
    Profile::new(
        "SpiNN-5",
        "SpiNNaker SpiNN-5 board (48 chips), sPyNNaker, power measured at the board supply",
        ProfileKind::Measured,
    )
    .with(
        Term::IdlePower,
        Coefficient::new(
            0.023048989855072463 * KW_TO_W,
            4.569092179543082e-05 * KW_TO_W,
            snab(f, "power.idle", "kW → W"),
        ),
    )
    .with(
        Term::NeuronPower,
        Coefficient::new(
            9.2649691116382e-08 * KW_TO_W,
            5.83220751383525e-09 * KW_TO_W,
            snab(f, "power.idle_neurons", "kW per neuron → W per neuron"),
        ),
    )
    .with(
        Term::Spike,
        Coefficient::new(1.0041068896694714e-08, 8.75176609850738e-09, snab(f, "energy.spike", "")),
    )
    .with(
        Term::SynapticEvent,
        Coefficient::mixture(
            &[(7.32249998423626e-09, 1.1587796438365003e-08), (7.55068699399245e-09, 1.2888319052552955e-09)],
            snab(
                f,
                "energy.Transmission_S2A and energy.Transmission_random",
                "equal-weight mixture of the two (DESIGN.md range 7.3–7.6 nJ)",
            ),
        ),
    )
}

/// SpiNNaker SpiNN-3 board (4 chips), sPyNNaker, real time.
///
/// | term | value ± SD | SNABSuite key |
/// |---|---|---|
/// | idle power | 2.671 ± 0.007 W | `power.idle` |
/// | power per neuron × hardware time | 89.58 ± 1.11 µW | `power.idle_neurons` |
/// | energy per spike | 10.36 ± 2.17 nJ | `energy.spike` |
/// | energy per synaptic event | 8.57 ± 1.94 nJ | mixture of `Transmission_S2A` (7.54 ± 2.31 nJ) and `Transmission_random` (9.59 ± 0.27 nJ) |
pub fn spinn3() -> Profile {
    let f = "spinnaker_energy.json";
    Profile::new(
        "SpiNN-3",
        "SpiNNaker SpiNN-3 board (4 chips), sPyNNaker, power measured at the board supply",
        ProfileKind::Measured,
    )
    .with(
        Term::IdlePower,
        Coefficient::new(
            0.002671075362318841 * KW_TO_W,
            6.837171577270945e-06 * KW_TO_W,
            snab(f, "power.idle", "kW → W"),
        ),
    )
    .with(
        Term::NeuronPower,
        Coefficient::new(
            8.958467243580207e-08 * KW_TO_W,
            1.1096058641094956e-09 * KW_TO_W,
            snab(f, "power.idle_neurons", "kW per neuron → W per neuron"),
        ),
    )
    .with(
        Term::Spike,
        Coefficient::new(1.0360533102129644e-08, 2.1721794294580552e-09, snab(f, "energy.spike", "")),
    )
    .with(
        Term::SynapticEvent,
        Coefficient::mixture(
            &[
                (7.542932025145167e-09, 2.3142011114837783e-09),
                (9.594788263997266e-09, 2.7457101481972776e-10),
            ],
            snab(
                f,
                "energy.Transmission_S2A and energy.Transmission_random",
                "equal-weight mixture of the two (DESIGN.md range 7.5–9.6 nJ)",
            ),
        ),
    )
}

/// Spikey (384 neurons, all of them always running; speed-up 10⁴).
///
/// | term | value ± SD | SNABSuite key |
/// |---|---|---|
/// | idle power | 5.249 ± 0.009 W | `power.idle` |
/// | power per neuron × hardware time, 384 neurons fixed | 382.2 ± 29.7 µW | `power.idle_neurons`, `fixed_neuron_costs` |
/// | energy per spike | 0.439 ± 0.125 nJ | `energy.spike` |
/// | energy per synaptic event | 10.8 ± 10.4 pJ | `energy.Transmission_random` |
///
/// The one-to-all benchmark stored 0 ± 0 for Spikey (no measurable difference), so the
/// random-connectivity value is used alone.
pub fn spikey() -> Profile {
    let f = "spikey_energy.json";
    let mut p = Profile::new(
        "Spikey",
        "Spikey chip system (384 neurons, speed-up 1e4), power measured at the system supply",
        ProfileKind::Measured,
    )
    .with(
        Term::IdlePower,
        Coefficient::new(
            0.005249025832963578 * KW_TO_W,
            9.265482897776227e-06 * KW_TO_W,
            snab(f, "power.idle", "kW → W"),
        ),
    )
    .with(
        Term::NeuronPower,
        Coefficient::new(
            3.8217680414196685e-07 * KW_TO_W,
            2.9713256555591825e-08 * KW_TO_W,
            snab(f, "power.idle_neurons", "kW per neuron → W per neuron; charged for all 384 neurons"),
        ),
    )
    .with(
        Term::Spike,
        Coefficient::new(4.3895899469723625e-10, 1.246285919947961e-10, snab(f, "energy.spike", "")),
    )
    .with(
        Term::SynapticEvent,
        Coefficient::new(
            1.0845460249926859e-11,
            1.0438392101011365e-11,
            snab(f, "energy.Transmission_random", "the S2A benchmark stored 0 ± 0"),
        ),
    );
    p.fixed_neurons = Some(384.0);
    p
}

/// GeNN on an NVIDIA RTX 2070 GPU (whole-PC power).
///
/// | term | value ± SD | SNABSuite key |
/// |---|---|---|
/// | idle power × hardware (wall) time | 20.06 ± 0.51 W | `power.idle` |
/// | energy per neuron per biological ms | 3.633 ± 0.190 nJ | `energy.idle_neurons_ms` |
/// | energy per spike | 4.71 ± 14.45 nJ | `energy.spike` |
/// | energy per synaptic event | 3.401 ± 0.168 nJ | `energy.Transmission_random` |
///
/// For the software simulators [`EnergyInput::hardware_time_s`](crate::EnergyInput) is
/// the host wall time of spikeport's own simulator, not GeNN's: to reproduce the paper's
/// GeNN rows, put GeNN's run time there.
pub fn genn_gpu_rtx2070() -> Profile {
    let f = "genn_gpu_energy.json";
    Profile::new(
        "GeNN RTX 2070",
        "GeNN on an NVIDIA RTX 2070 GPU; runtime-normalised model (per-neuron cost per biological ms)",
        ProfileKind::Measured,
    )
    .with(
        Term::IdlePower,
        Coefficient::new(
            0.020064260196001694 * KW_TO_W,
            0.0005112451527841094 * KW_TO_W,
            snab(f, "power.idle", "kW → W"),
        ),
    )
    .with(
        Term::NeuronBioEnergy,
        Coefficient::new(
            3.633177653766628e-09,
            1.9021371352709722e-10,
            snab(f, "energy.idle_neurons_ms", ""),
        ),
    )
    .with(
        Term::Spike,
        Coefficient::new(4.707158948932072e-09, 1.4451532589342743e-08, snab(f, "energy.spike", "")),
    )
    .with(
        Term::SynapticEvent,
        Coefficient::new(
            3.4011429743030906e-09,
            1.6754663152880696e-10,
            snab(f, "energy.Transmission_random", "S2A (25.0 ± 8.4 nJ) not used, as in DESIGN.md"),
        ),
    )
}

/// GeNN on an AMD Ryzen 5 2600X CPU (whole-PC power).
///
/// | term | value ± SD | SNABSuite key |
/// |---|---|---|
/// | idle power × hardware (wall) time | 50.34 ± 8.09 W | `power.idle` |
/// | energy per neuron per biological ms | 42.3 ± 11.1 nJ | `energy.idle_neurons_ms` |
/// | energy per spike | 30.4 ± 116.6 nJ | `energy.spike` |
/// | energy per synaptic event | 36.0 ± 33.6 nJ | mixture of `Transmission_S2A` (13.8 ± 28.6 nJ) and `Transmission_random` (58.2 ± 21.3 nJ) |
///
/// The idle SD is inflated by one outlier reading (84.7 W among twenty at 48.0–48.9 W)
/// in the source; it is kept as the source gives it.
pub fn genn_cpu_ryzen2600x() -> Profile {
    let f = "genn_energy.json";
    Profile::new(
        "GeNN Ryzen 2600X",
        "GeNN on an AMD Ryzen 5 2600X CPU; runtime-normalised model (per-neuron cost per biological ms)",
        ProfileKind::Measured,
    )
    .with(
        Term::IdlePower,
        Coefficient::new(0.05034 * KW_TO_W, 0.008092517661720805 * KW_TO_W, snab(f, "power.idle", "kW → W")),
    )
    .with(
        Term::NeuronBioEnergy,
        Coefficient::new(
            4.230029660599583e-08,
            1.1097137711564242e-08,
            snab(f, "energy.idle_neurons_ms", ""),
        ),
    )
    .with(
        Term::Spike,
        Coefficient::new(3.03714875035734e-08, 1.1657019904861208e-07, snab(f, "energy.spike", "")),
    )
    .with(
        Term::SynapticEvent,
        Coefficient::mixture(
            &[
                (1.3816272321831801e-08, 2.8634142166338804e-08),
                (5.817274260070659e-08, 2.132532414327123e-08),
            ],
            snab(
                f,
                "energy.Transmission_S2A and energy.Transmission_random",
                "equal-weight mixture of the two (DESIGN.md range 14–58 nJ)",
            ),
        ),
    )
}

/// The static power per HICANN assumed by [`brainscales1`], W: 1 kW per wafer module
/// shared by its 384 HICANNs.
pub const BRAINSCALES1_ASSUMED_CHIP_POWER_W: f64 = 1000.0 / 384.0;

/// BrainScaleS-1 — an **estimate**, not a measurement: no per-event energy of
/// BrainScaleS-1 has been published. Built from these assumptions (also in
/// [`Profile::assumptions`], so reports can print them):
///
/// 1. Per-event and per-neuron costs are Spikey's measured ones (same group, same
///    180 nm mixed-signal technology lineage, same 10⁴ speed-up, conductance-based
///    analog synapses): spike 0.439 nJ, synaptic event 10.8 pJ, neuron 382 µW — each
///    with a relative SD of 100 % for the transfer to another chip.
/// 2. Static power per HICANN used: [`BRAINSCALES1_ASSUMED_CHIP_POWER_W`] (1 kW per
///    wafer module over 384 HICANNs) ± 100 %. The 1 kW is an order-of-magnitude
///    assumption for a wafer module with its FPGAs and supplies, not a verified
///    measurement; override it with [`brainscales1_with_chip_power`].
/// 3. Time is the modelled emulation time (biological time ÷ 10⁴); host, FPGA
///    configuration and calibration time are not priced.
pub fn brainscales1() -> Profile {
    brainscales1_with_chip_power(Coefficient::new(
        BRAINSCALES1_ASSUMED_CHIP_POWER_W,
        BRAINSCALES1_ASSUMED_CHIP_POWER_W,
        "assumption: 1 kW per BrainScaleS-1 wafer module / 384 HICANNs, ± 100 % (not measured)",
    ))
}

/// [`brainscales1`] with your own static power per HICANN (W per chip used).
pub fn brainscales1_with_chip_power(chip_power: Coefficient) -> Profile {
    let spikey = spikey();
    let borrowed = |term: Term| -> Coefficient {
        let (value, source) = spikey
            .coefficient(term)
            .map(|c| (c.value, c.source.clone()))
            .unwrap_or((f64::NAN, String::new()));
        Coefficient::new(
            value,
            value,
            format!("assumption: Spikey's value transferred to BrainScaleS-1, ± 100 %; Spikey: {source}"),
        )
    };
    let chip_text = format!(
        "Static power per HICANN used: {:.3} W ± {:.3} W ({}).",
        chip_power.value, chip_power.sd, chip_power.source
    );
    Profile::new(
        "BrainScaleS-1",
        "BrainScaleS-1 wafer-scale system (speed-up 1e4): estimate from Spikey's measured per-event costs and an assumed per-HICANN static power",
        ProfileKind::Estimate,
    )
    .with(Term::ChipPower, chip_power)
    .with(Term::NeuronPower, borrowed(Term::NeuronPower))
    .with(Term::Spike, borrowed(Term::Spike))
    .with(Term::SynapticEvent, borrowed(Term::SynapticEvent))
    .with_assumption(
        "No per-event energy of BrainScaleS-1 has been published; this profile is an estimate, not a measurement.",
    )
    .with_assumption(
        "Per-spike (0.439 nJ), per-synaptic-event (10.8 pJ) and per-neuron (382 µW) costs are Spikey's measured \
         values (SNABSuite), transferred because both chips share the group's 180 nm mixed-signal design lineage, \
         the 1e4 speed-up and conductance-based analog synapses; relative SD 100 % each.",
    )
    .with_assumption(chip_text)
    .with_assumption(
        "Time is the modelled emulation time (biological time / 1e4); host, FPGA configuration and calibration \
         time are not priced.",
    )
}

/// Wall power assumed for the host by [`host_cpu`], W: a desktop under a simulation
/// load, anchored on the only such measurement in our sources — the Ryzen 2600X PC of
/// the SNABSuite model drew 77.8–84.3 W (means of the GeNN benchmarks) at the wall.
pub const HOST_ASSUMED_POWER_W: f64 = 80.0;

/// SD of [`HOST_ASSUMED_POWER_W`], W (50 %: laptops to workstations).
pub const HOST_ASSUMED_POWER_SD_W: f64 = 40.0;

/// The host running spikeport, priced as an assumed power × host wall time
/// ([`Term::HostPower`]): [`HOST_ASSUMED_POWER_W`] ± [`HOST_ASSUMED_POWER_SD_W`]. This
/// is an estimate; to measure instead, use [`HostMeter`](crate::HostMeter) (RAPL where
/// readable), or set your own power with [`host_cpu_with_power`].
pub fn host_cpu() -> Profile {
    host_cpu_with_power(Coefficient::new(
        HOST_ASSUMED_POWER_W,
        HOST_ASSUMED_POWER_SD_W,
        "assumption: desktop wall power under simulation load, anchored on the SNABSuite Ryzen 2600X PC \
         (77.8–84.3 W under GeNN benchmarks, genn_energy.json measured.*_avg); ± 50 %",
    ))
}

/// The host running spikeport, priced as `power` (W) × host wall time.
pub fn host_cpu_with_power(power: Coefficient) -> Profile {
    let text = format!(
        "Host energy = assumed power {:.1} W ± {:.1} W × host wall time ({}); not measured on this machine.",
        power.value, power.sd, power.source
    );
    Profile::new(
        "host CPU",
        "the machine running spikeport, power × wall time (assumed power)",
        ProfileKind::Estimate,
    )
    .with(Term::HostPower, power)
    .with_assumption(text)
}

/// All built-in profiles, in the order of the paper's table.
pub fn all() -> Vec<Profile> {
    vec![genn_cpu_ryzen2600x(), genn_gpu_rtx2070(), spinn5(), spinn3(), brainscales1(), spikey(), host_cpu()]
}
