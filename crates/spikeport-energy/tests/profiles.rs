//! Built-in profiles against hand computations from the DESIGN.md §5 table, JSON
//! round trips and strictness, and input validation.

#![allow(clippy::unwrap_used)]

use spikeport_energy::{estimate, profiles, EnergyError, EnergyInput, Profile, ProfileKind, Term};
use spikeport_snn::{Counter, UnitKind};

/// One image of a Diehl-sized network (2,410 neurons), invented counts.
fn activity(hardware_time_s: f64) -> EnergyInput {
    EnergyInput {
        images: 1.0,
        neurons: 2_410.0,
        spikes: 5_350.0,
        input_spikes: 6_148.0,
        synaptic_events: 1.14e7,
        packets: 11_498.0,
        cores: 12.0,
        chips: 1.0,
        boards: 1.0,
        bio_time_ms: 550.0,
        hardware_time_s,
        wall_time_s: 0.8,
    }
}

/// `actual` agrees with the DESIGN table's rounded `design` value to half a unit of its
/// last digit (`ulp` = one unit of the last printed digit).
fn agrees(actual: f64, design: f64, ulp: f64) -> bool {
    (actual - design).abs() <= 0.5 * ulp * (1.0 + 1e-9)
}

fn term_energy(e: &spikeport_energy::EnergyEstimate, t: Term) -> f64 {
    e.term(t).map(|x| x.energy_j).unwrap()
}

#[test]
fn coefficients_match_the_design_table_to_its_rounding() {
    let c = |p: &Profile, t: Term| p.coefficient(t).unwrap().value;
    let s5 = profiles::spinn5();
    assert!(agrees(c(&s5, Term::IdlePower), 23.05, 0.01));
    // The source has 92.6497 µW; DESIGN.md's 92.7 is a double rounding (92.65 → 92.7).
    assert!(agrees(c(&s5, Term::NeuronPower) * 1e6, 92.65, 0.01)); // µW
    assert!((c(&s5, Term::NeuronPower) * 1e6 - 92.7).abs() < 0.051);
    assert!(agrees(c(&s5, Term::Spike) * 1e9, 10.0, 0.1)); // nJ
    let syn = c(&s5, Term::SynapticEvent) * 1e9;
    assert!((7.3..=7.6).contains(&syn), "{syn}");

    let s3 = profiles::spinn3();
    assert!(agrees(c(&s3, Term::IdlePower), 2.67, 0.01));
    assert!(agrees(c(&s3, Term::NeuronPower) * 1e6, 89.6, 0.1));
    assert!(agrees(c(&s3, Term::Spike) * 1e9, 10.4, 0.1));
    let syn = c(&s3, Term::SynapticEvent) * 1e9;
    assert!((7.5..=9.6).contains(&syn), "{syn}");

    let sp = profiles::spikey();
    assert!(agrees(c(&sp, Term::IdlePower), 5.25, 0.01));
    assert!(agrees(c(&sp, Term::NeuronPower) * 1e3, 0.38, 0.01)); // mW
    assert!(agrees(c(&sp, Term::Spike) * 1e9, 0.44, 0.01));
    assert!(agrees(c(&sp, Term::SynapticEvent) * 1e9, 0.011, 0.001));
    assert_eq!(sp.fixed_neurons, Some(384.0));

    let gpu = profiles::genn_gpu_rtx2070();
    assert!(agrees(c(&gpu, Term::IdlePower), 20.1, 0.1));
    assert!(agrees(c(&gpu, Term::NeuronBioEnergy) * 1e9, 3.6, 0.1));
    assert!(agrees(c(&gpu, Term::Spike) * 1e9, 4.7, 0.1));
    assert!(agrees(c(&gpu, Term::SynapticEvent) * 1e9, 3.4, 0.1));

    let cpu = profiles::genn_cpu_ryzen2600x();
    assert!(agrees(c(&cpu, Term::IdlePower), 50.3, 0.1));
    assert!(agrees(c(&cpu, Term::NeuronBioEnergy) * 1e9, 42.0, 1.0));
    assert!(agrees(c(&cpu, Term::Spike) * 1e9, 30.0, 1.0));
    let syn = c(&cpu, Term::SynapticEvent) * 1e9;
    assert!((14.0..=58.0).contains(&syn), "{syn}");
}

#[test]
fn spinn5_against_hand_computation() {
    // DESIGN.md §5: 23.05 W, 92.7 µW per neuron, 10.0 nJ per spike, 7.3–7.6 nJ per event
    // (midpoint 7.45 nJ). Hardware time: 550 ms in real time.
    let input = activity(0.55);
    let e = estimate(&profiles::spinn5(), &input).unwrap();
    let rel = |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
    rel(term_energy(&e, Term::IdlePower), 23.05 * 0.55, 0.01 / 23.05);
    rel(term_energy(&e, Term::NeuronPower), 92.7e-6 * 2_410.0 * 0.55, 0.051 / 92.7); // see above
    rel(term_energy(&e, Term::Spike), 10.0e-9 * 5_350.0, 0.05 / 10.0);
    rel(term_energy(&e, Term::SynapticEvent), 7.45e-9 * 1.14e7, 0.15 / 7.45);
    let hand = 23.05 * 0.55 + 92.7e-6 * 2_410.0 * 0.55 + 10.0e-9 * 5_350.0 + 7.45e-9 * 1.14e7;
    rel(e.energy_j, hand, 1e-3);
    // Input spikes are not charged as spikes (their cost is in the synaptic events).
    assert!(e.term(Term::InputSpike).is_none());
    assert_eq!(e.kind, ProfileKind::Measured);
    assert!(e.sd_j > 0.0 && e.sd_j < e.energy_j);
}

#[test]
fn spinn3_against_hand_computation() {
    let input = activity(0.55);
    let e = estimate(&profiles::spinn3(), &input).unwrap();
    let hand = 2.67 * 0.55 + 89.6e-6 * 2_410.0 * 0.55 + 10.4e-9 * 5_350.0 + 8.55e-9 * 1.14e7;
    assert!((e.energy_j - hand).abs() / hand < 2e-3, "{} vs {hand}", e.energy_j);
}

#[test]
fn spikey_charges_all_384_neurons() {
    // 350 ms of biology at speed-up 1e4: 35 µs of hardware time; a 100-neuron network.
    let mut input = activity(350e-3 / 1e4);
    input.neurons = 110.0;
    input.synaptic_events = 2.0e5;
    input.spikes = 400.0;
    let e = estimate(&profiles::spikey(), &input).unwrap();
    let t = 350e-3 / 1e4;
    let neurons = term_energy(&e, Term::NeuronPower);
    assert!((neurons - 0.38e-3 * 384.0 * t).abs() / neurons < 0.006, "{neurons}");
    let hand = 5.25 * t + 0.38e-3 * 384.0 * t + 0.44e-9 * 400.0 + 0.011e-9 * 2.0e5;
    assert!((e.energy_j - hand).abs() / hand < 0.01, "{} vs {hand}", e.energy_j);
}

#[test]
fn genn_rows_use_biological_time_for_neurons() {
    // Host wall time 0.8 s, biological time 550 ms.
    let input = activity(0.8);
    let gpu = estimate(&profiles::genn_gpu_rtx2070(), &input).unwrap();
    let n = term_energy(&gpu, Term::NeuronBioEnergy);
    assert!((n - 3.6e-9 * 2_410.0 * 550.0).abs() / n < 0.05 / 3.6, "{n}");
    let hand = 20.1 * 0.8 + 3.6e-9 * 2_410.0 * 550.0 + 4.7e-9 * 5_350.0 + 3.4e-9 * 1.14e7;
    assert!((gpu.energy_j - hand).abs() / hand < 5e-3, "{} vs {hand}", gpu.energy_j);

    let cpu = estimate(&profiles::genn_cpu_ryzen2600x(), &input).unwrap();
    let hand = 50.3 * 0.8 + 42e-9 * 2_410.0 * 550.0 + 30e-9 * 5_350.0 + 36e-9 * 1.14e7;
    assert!((cpu.energy_j - hand).abs() / hand < 5e-3, "{} vs {hand}", cpu.energy_j);

    // Doubling the wall time changes only the idle term.
    let mut slow = input.clone();
    slow.hardware_time_s *= 2.0;
    let gpu2 = estimate(&profiles::genn_gpu_rtx2070(), &slow).unwrap();
    assert!((gpu2.energy_j - gpu.energy_j - term_energy(&gpu, Term::IdlePower)).abs() < 1e-9);
}

#[test]
fn brainscales1_is_an_estimate_with_assumptions() {
    let p = profiles::brainscales1();
    assert!(p.is_estimate());
    assert!(p.assumptions.len() >= 3);
    assert!(p.assumptions.iter().any(|a| a.contains("not a measurement")));
    // 900 + 50 ms of biology at 1e4, on 6 HICANNs.
    let t = 0.95 / 1e4;
    let mut input = activity(t);
    input.chips = 6.0;
    let e = estimate(&p, &input).unwrap();
    assert!(e.is_estimate());
    assert_eq!(e.assumptions, p.assumptions);
    assert!(e.summary().contains("estimate, not a measurement"));
    let hand = 6.0 * 1000.0 / 384.0 * t + 0.38e-3 * 2_410.0 * t + 0.44e-9 * 5_350.0 + 0.011e-9 * 1.14e7;
    assert!((e.energy_j - hand).abs() / hand < 0.01, "{} vs {hand}", e.energy_j);
    for c in p.coefficients.values() {
        assert!((c.sd - c.value).abs() <= 1e-12 * c.value, "100 % SD expected: {c:?}");
        assert!(c.source.contains("assumption"));
    }
    // A user-supplied chip power replaces the assumption and says so.
    let q = profiles::brainscales1_with_chip_power(spikeport_energy::Coefficient::new(1.5, 0.3, "my meter"));
    assert_eq!(q.coefficient(Term::ChipPower).unwrap().value, 1.5);
    assert!(q.assumptions.iter().any(|a| a.contains("my meter")));
}

#[test]
fn host_cpu_is_assumed_power_times_wall_time() {
    let e = estimate(&profiles::host_cpu(), &activity(0.55)).unwrap();
    assert!(e.is_estimate());
    assert!((e.energy_j - 80.0 * 0.8).abs() < 1e-12);
    assert!((e.sd_j - 40.0 * 0.8).abs() < 1e-12);
}

#[test]
fn per_image_divides_everything() {
    let mut input = activity(0.55);
    for f in
        [&mut input.spikes, &mut input.synaptic_events, &mut input.bio_time_ms, &mut input.hardware_time_s]
    {
        *f *= 10.0;
    }
    input.images = 10.0;
    let total = estimate(&profiles::spinn5(), &input).unwrap();
    let one = total.per_image().unwrap();
    let direct = estimate(&profiles::spinn5(), &activity(0.55)).unwrap();
    assert!((one.energy_j - direct.energy_j).abs() < 1e-9 * direct.energy_j);
    assert!((one.sd_j - direct.sd_j).abs() < 1e-9 * direct.sd_j);
    input.images = 0.0;
    let none = estimate(&profiles::spinn5(), &input).unwrap();
    assert!(matches!(none.per_image(), Err(EnergyError::NoImages)));
}

#[test]
fn breakdown_shares_sum_to_one() {
    for p in profiles::all() {
        let mut input = activity(0.55);
        input.chips = 4.0;
        let e = estimate(&p, &input).unwrap();
        let sum: f64 = e.terms.iter().map(|t| e.share(t.term)).sum();
        assert!((sum - 1.0).abs() < 1e-12, "{}: {sum}", p.name);
        let var: f64 = e.terms.iter().map(|t| t.sd_j * t.sd_j).sum();
        assert!((var.sqrt() - e.sd_j).abs() <= 1e-12 * e.sd_j);
        assert!(!e.summary().is_empty());
    }
}

#[test]
fn every_builtin_round_trips_through_json() {
    let dir = tempfile::tempdir().unwrap();
    for p in profiles::all() {
        p.validate().unwrap();
        let back = Profile::from_json(&p.to_json().unwrap()).unwrap();
        assert_eq!(back, p);
        let path = dir.path().join(format!("{}.json", p.name.replace(' ', "_")));
        p.save(&path).unwrap();
        assert_eq!(Profile::load(&path).unwrap(), p);
    }
}

#[test]
fn json_is_strict_and_errors_name_the_key() {
    let good = profiles::spinn3().to_json().unwrap();
    let cases = [
        (good.replacen("\"kind\"", "\"flavour\": 1, \"kind\"", 1), "flavour"),
        (good.replacen("\"idle_power_w\"", "\"idle_watts\"", 1), "idle_watts"),
        (good.replacen("\"sd\"", "\"unit\": \"W\", \"sd\"", 1), "unit"),
    ];
    for (json, key) in cases {
        let err = Profile::from_json(&json).unwrap_err();
        assert!(matches!(err, EnergyError::Json(_)), "{err}");
        assert!(err.to_string().contains(key), "{err}");
    }
    // Missing field.
    let err = Profile::from_json(r#"{"name": "x", "coefficients": {}}"#).unwrap_err();
    assert!(err.to_string().contains("kind"), "{err}");
    // Negative value, negative SD, missing source, no coefficients, estimate without
    // assumptions.
    let neg = good.replacen("\"value\": 2.", "\"value\": -2.", 1);
    assert!(matches!(Profile::from_json(&neg), Err(EnergyError::InvalidCoefficient { .. })));
    let mut p = profiles::spinn3();
    p.coefficients.get_mut(&Term::Spike).unwrap().sd = -1.0;
    assert!(matches!(p.validate(), Err(EnergyError::InvalidCoefficient { term: Term::Spike, .. })));
    let mut p = profiles::spinn3();
    p.coefficients.get_mut(&Term::Spike).unwrap().source = " ".into();
    assert!(p.validate().is_err());
    let mut p = profiles::spinn3();
    p.coefficients.get_mut(&Term::Spike).unwrap().value = f64::NAN;
    assert!(estimate(&p, &activity(1.0)).is_err());
    assert!(Profile::new("empty", "", ProfileKind::Measured).validate().is_err());
    let mut p = profiles::brainscales1();
    p.assumptions.clear();
    assert!(matches!(p.validate(), Err(EnergyError::InvalidProfile { .. })));
    let err = Profile::load("/nonexistent/profile.json").unwrap_err();
    assert!(matches!(err, EnergyError::Io { .. }));
}

#[test]
fn bad_inputs_are_rejected_with_the_field_named() {
    let p = profiles::spinn5();
    type Case = (fn(&mut EnergyInput), &'static str);
    let cases: [Case; 5] = [
        (|i| i.spikes = -1.0, "spikes"),
        (|i| i.synaptic_events = f64::NAN, "synaptic_events"),
        (|i| i.hardware_time_s = -0.5, "hardware_time_s"),
        (|i| i.bio_time_ms = f64::INFINITY, "bio_time_ms"),
        (|i| i.neurons = -3.0, "neurons"),
    ];
    for (set, name) in cases {
        let mut input = activity(0.55);
        set(&mut input);
        match estimate(&p, &input) {
            Err(EnergyError::InvalidInput { field, .. }) => assert_eq!(field, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    // Hand-filled JSON: missing fields are 0, unknown ones are an error.
    let i: EnergyInput = serde_json::from_str(r#"{"spikes": 3.0}"#).unwrap();
    assert_eq!(i.spikes, 3.0);
    let err = serde_json::from_str::<EnergyInput>(r#"{"spikez": 3.0}"#).unwrap_err();
    assert!(err.to_string().contains("spikez"));
}

#[test]
fn input_from_activity_and_mapping() {
    use ndarray::Array2;
    use spikeport_snn::{Activity, HardwareUnits, IfCondExpParams, MappingReport, SnnNetwork};

    let mut activity = Activity::zeros(3, 2);
    activity.images = 2;
    activity.spikes = vec![100, 40, 7];
    activity.synaptic_events = vec![100 * 5, 40 * 3];
    activity.bio_time_ms = 1_100.0;
    activity.hardware_time_s = 1.1;
    activity.wall_time_s = 0.2;
    activity.counters.insert(Counter::PacketsSent, 140);
    let mapping = MappingReport {
        neurons: 8,
        synapses: 24,
        synapses_lost: 0,
        units: vec![
            HardwareUnits { kind: UnitKind::Core, count: 3 },
            HardwareUnits { kind: UnitKind::Chip, count: 1 },
            HardwareUnits { kind: UnitKind::Board, count: 1 },
        ],
        copies: 1,
    };
    let lif = IfCondExpParams::paper_digital().into_model().unwrap();
    let net = SnnNetwork::feed_forward(
        4,
        vec![(lif, Array2::from_elem((4, 5), 0.01)), (lif, Array2::from_elem((5, 3), 0.01))],
        1.0,
    )
    .unwrap();
    let input = EnergyInput::from_run(&activity, &mapping, &net).unwrap();
    assert_eq!(input.images, 2.0);
    assert_eq!(input.input_spikes, 100.0);
    assert_eq!(input.spikes, 47.0);
    assert_eq!(input.synaptic_events, 620.0);
    assert_eq!(input.packets, 140.0);
    assert_eq!((input.cores, input.chips, input.boards), (3.0, 1.0, 1.0));
    assert_eq!(input.neurons, 8.0);
    assert_eq!(input.hardware_time_s, 1.1);

    let mut wrong = activity.clone();
    wrong.spikes = vec![1, 2];
    assert!(EnergyInput::from_run(&wrong, &mapping, &net).is_err());
    let mut neg = activity;
    neg.hardware_time_s = -1.0;
    assert!(matches!(
        EnergyInput::from_activity(&neg, &mapping),
        Err(EnergyError::InvalidInput { field: "hardware_time_s", .. })
    ));
}
