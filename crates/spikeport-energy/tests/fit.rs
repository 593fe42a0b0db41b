//! `fit`: recovery of known coefficients from synthetic noisy data, calibrated SDs,
//! clamping, agreement with ordinary least squares, and typed errors.

#![allow(clippy::unwrap_used)]

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use spikeport_energy::{estimate, fit, EnergyError, EnergyInput, Profile, ProfileKind, Sample, Term};

const TERMS: [Term; 4] = [Term::IdlePower, Term::NeuronPower, Term::Spike, Term::SynapticEvent];
/// 23 W idle, 90 µW per neuron, 10 nJ per spike, 7.5 nJ per synaptic event.
const TRUTH: [f64; 4] = [23.0, 9.0e-5, 1.0e-8, 7.5e-9];

fn random_input(rng: &mut ChaCha8Rng) -> EnergyInput {
    EnergyInput {
        hardware_time_s: rng.random_range(0.1..10.0),
        neurons: rng.random_range(100.0..20_000.0),
        spikes: rng.random_range(1e3..1e8),
        synaptic_events: rng.random_range(1e5..2e9),
        ..EnergyInput::default()
    }
}

/// Samples priced with `coef` on `terms`, plus N(0, noise_j) measurement noise.
fn synthetic(seed: u64, n: usize, terms: &[Term], coef: &[f64], noise_j: f64) -> Vec<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, noise_j).unwrap();
    (0..n)
        .map(|_| {
            let input = random_input(&mut rng);
            let e: f64 = terms.iter().zip(coef).map(|(t, c)| c * t.quantity(&input, None)).sum();
            Sample { input, energy_j: (e + noise.sample(&mut rng)).max(0.0) }
        })
        .collect()
}

#[test]
fn recovers_known_coefficients_from_noisy_data() {
    let samples = synthetic(1, 300, &TERMS, &TRUTH, 0.05);
    let r = fit(&TERMS, &samples, None).unwrap();
    assert_eq!(r.samples, 300);
    assert_eq!(r.dof, 296);
    assert!((r.residual_sd_j - 0.05).abs() < 0.01, "{}", r.residual_sd_j);
    for (t, truth) in r.terms.iter().zip(TRUTH) {
        assert!(!t.clamped);
        assert!(t.sd > 0.0);
        let z = (t.value - truth) / t.sd;
        assert!(z.abs() < 4.0, "{:?}: z = {z}", t.term);
        assert!((t.value - truth).abs() < 0.05 * truth, "{:?}: {} vs {truth}", t.term, t.value);
    }
}

#[test]
fn reported_sds_match_the_spread_over_repeated_experiments() {
    // 60 independent synthetic experiments: the z-scores of each coefficient should have
    // a standard deviation close to 1 if the reported SDs are right.
    let mut z: Vec<Vec<f64>> = vec![Vec::new(); TERMS.len()];
    for seed in 0..60 {
        let samples = synthetic(100 + seed, 40, &TERMS, &TRUTH, 0.2);
        let r = fit(&TERMS, &samples, None).unwrap();
        for (k, t) in r.terms.iter().enumerate() {
            z[k].push((t.value - TRUTH[k]) / t.sd);
        }
    }
    for (k, zs) in z.iter().enumerate() {
        let n = zs.len() as f64;
        let mean = zs.iter().sum::<f64>() / n;
        let sd = (zs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!(mean.abs() < 0.6, "{:?}: mean z {mean}", TERMS[k]);
        assert!((0.7..1.4).contains(&sd), "{:?}: SD of z {sd}", TERMS[k]);
    }
}

#[test]
fn equals_ordinary_least_squares_when_everything_is_positive() {
    let samples = synthetic(5, 50, &TERMS, &TRUTH, 0.5);
    let r = fit(&TERMS, &samples, None).unwrap();
    let a = DMatrix::from_fn(samples.len(), TERMS.len(), |i, j| TERMS[j].quantity(&samples[i].input, None));
    let b = DVector::from_iterator(samples.len(), samples.iter().map(|s| s.energy_j));
    // OLS through the normal equations on scaled columns.
    let scale: Vec<f64> = (0..TERMS.len()).map(|j| a.column(j).norm()).collect();
    let mut s = a.clone();
    for (j, sc) in scale.iter().enumerate() {
        s.column_mut(j).scale_mut(1.0 / sc);
    }
    let ols = (s.transpose() * &s).cholesky().unwrap().solve(&(s.transpose() * &b));
    for j in 0..TERMS.len() {
        let x = ols[j] / scale[j];
        assert!((r.terms[j].value - x).abs() < 1e-8 * x.abs(), "{j}: {} vs {x}", r.terms[j].value);
    }
}

#[test]
fn a_coefficient_that_would_go_negative_is_clamped_to_zero() {
    // The data are generated with a *negative* spike cost; the best non-negative model
    // has it at 0.
    let truth = [23.0, 9.0e-5, -2.0e-9, 7.5e-9];
    let samples = synthetic(9, 200, &TERMS, &truth, 0.01);
    let r = fit(&TERMS, &samples, None).unwrap();
    let spike = r.term(Term::Spike).unwrap();
    assert!(spike.clamped);
    assert_eq!((spike.value, spike.sd), (0.0, 0.0));
    assert_eq!(r.dof, 200 - 3);
    for t in r.terms.iter().filter(|t| t.term != Term::Spike) {
        assert!(!t.clamped && t.value > 0.0, "{t:?}");
    }
    // Unconstrained least squares does go negative here.
    let a = DMatrix::from_fn(samples.len(), 4, |i, j| TERMS[j].quantity(&samples[i].input, None));
    let b = DVector::from_iterator(samples.len(), samples.iter().map(|s| s.energy_j));
    let scale: Vec<f64> = (0..4).map(|j| a.column(j).norm()).collect();
    let mut s = a.clone();
    for (j, sc) in scale.iter().enumerate() {
        s.column_mut(j).scale_mut(1.0 / sc);
    }
    let ols = (s.transpose() * &s).cholesky().unwrap().solve(&(s.transpose() * &b));
    assert!(ols[2] < 0.0);

    // The fitted profile is valid, marks the clamp in its source, and prices inputs.
    let p = r.to_profile("calibrated", "synthetic test data");
    assert_eq!(p.kind, ProfileKind::Fitted);
    assert!(p.coefficient(Term::Spike).unwrap().source.contains("clamped at 0"));
    let back = Profile::from_json(&p.to_json().unwrap()).unwrap();
    assert_eq!(back, p);
    let e = estimate(&back, &samples[0].input).unwrap();
    assert!(e.energy_j > 0.0);
}

#[test]
fn degenerate_inputs_are_typed_errors() {
    let good = synthetic(3, 10, &TERMS, &TRUTH, 0.1);

    assert!(matches!(fit(&[], &good, None), Err(EnergyError::NoTerms)));
    assert!(matches!(
        fit(&[Term::Spike, Term::IdlePower, Term::Spike], &good, None),
        Err(EnergyError::DuplicateTerm(Term::Spike))
    ));
    // Fewer samples than terms, and as many (no degree of freedom left).
    assert!(matches!(
        fit(&TERMS, &good[..3], None),
        Err(EnergyError::TooFewSamples { samples: 3, terms: 4 })
    ));
    assert!(matches!(fit(&TERMS, &good[..4], None), Err(EnergyError::TooFewSamples { .. })));
    assert!(fit(&TERMS, &good[..5], None).is_ok());

    let mut nan = good.clone();
    nan[2].energy_j = f64::NAN;
    assert!(matches!(fit(&TERMS, &nan, None), Err(EnergyError::InvalidSample { sample: 2, .. })));
    let mut neg = good.clone();
    neg[4].energy_j = -1.0;
    assert!(matches!(fit(&TERMS, &neg, None), Err(EnergyError::InvalidSample { sample: 4, .. })));
    let mut bad_input = good.clone();
    bad_input[1].input.spikes = f64::NAN;
    let err = fit(&TERMS, &bad_input, None).unwrap_err();
    assert!(matches!(err, EnergyError::InvalidSampleInput { sample: 1, .. }), "{err}");
    assert!(err.to_string().contains("spikes"), "{err}");
    let mut neg_time = good.clone();
    neg_time[0].input.hardware_time_s = -2.0;
    assert!(matches!(fit(&TERMS, &neg_time, None), Err(EnergyError::InvalidSampleInput { sample: 0, .. })));
    assert!(matches!(
        fit(&TERMS, &good, Some(f64::NAN)),
        Err(EnergyError::InvalidInput { field: "fixed_neurons", .. })
    ));

    // A term that is zero in every sample.
    let err = fit(&[Term::IdlePower, Term::Packet], &good, None).unwrap_err();
    assert!(matches!(err, EnergyError::ZeroColumn(Term::Packet)), "{err}");

    // Two terms with proportional quantities (one chip, always): not identifiable.
    let mut one_chip = good.clone();
    for s in &mut one_chip {
        s.input.chips = 1.0;
    }
    let err = fit(&[Term::IdlePower, Term::ChipPower], &one_chip, None).unwrap_err();
    assert!(matches!(err, EnergyError::Singular { .. }), "{err}");
}

#[test]
fn fixed_neurons_enter_the_neuron_quantity() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let samples: Vec<Sample> = (0..20)
        .map(|_| {
            let t: f64 = rng.random_range(1e-5..1e-3);
            let spikes: f64 = rng.random_range(1e2..1e5);
            let input = EnergyInput { hardware_time_s: t, spikes, neurons: 10.0, ..EnergyInput::default() };
            // 5.25 W + 0.38 mW × 384 neurons, 0.44 nJ per spike: Spikey-like.
            Sample { input, energy_j: (5.25 + 0.38e-3 * 384.0) * t + 0.44e-9 * spikes }
        })
        .collect();
    let r = fit(&[Term::IdlePower, Term::Spike], &samples, Some(384.0)).unwrap();
    assert!((r.terms[0].value - (5.25 + 0.38e-3 * 384.0)).abs() < 1e-6);
    assert!((r.terms[1].value - 0.44e-9).abs() < 1e-15);
    assert_eq!(r.to_profile("spikey-like", "test").fixed_neurons, Some(384.0));
}
