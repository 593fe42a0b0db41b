//! The analytic mean ± SD of an estimate against a seeded Monte-Carlo simulation.

#![allow(clippy::unwrap_used)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use spikeport_energy::{estimate, profiles, Coefficient, EnergyInput, Profile};

fn input() -> EnergyInput {
    EnergyInput {
        images: 1.0,
        neurons: 2_410.0,
        spikes: 5.0e6,
        input_spikes: 6_000.0,
        synaptic_events: 4.0e8,
        bio_time_ms: 550.0,
        hardware_time_s: 0.9,
        wall_time_s: 0.9,
        ..EnergyInput::default()
    }
}

/// Sample every coefficient independently from N(value, sd), price the input, and return
/// the sample mean and SD of the energy.
fn monte_carlo(p: &Profile, input: &EnergyInput, n: usize, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base = estimate(p, input).unwrap();
    let dists: Vec<(f64, Normal<f64>)> = base
        .terms
        .iter()
        .map(|t| (t.quantity, Normal::new(t.coefficient.value, t.coefficient.sd).unwrap()))
        .collect();
    let (mut sum, mut sum2) = (0.0, 0.0);
    for _ in 0..n {
        let e: f64 = dists.iter().map(|(q, d)| q * d.sample(&mut rng)).sum();
        sum += e;
        sum2 += e * e;
    }
    let mean = sum / n as f64;
    let var = (sum2 / n as f64 - mean * mean) * n as f64 / (n as f64 - 1.0);
    (mean, var.sqrt())
}

#[test]
fn analytic_sd_matches_monte_carlo_for_every_profile() {
    let n = 200_000;
    for (i, p) in profiles::all().into_iter().enumerate() {
        let mut x = input();
        x.chips = 3.0;
        let e = estimate(&p, &x).unwrap();
        let (mean, sd) = monte_carlo(&p, &x, n, 42 + i as u64);
        // Mean within 5 standard errors, SD within 2 % (the SE of a sample SD from 2e5
        // normal draws is ~0.16 %).
        assert!(
            (mean - e.energy_j).abs() < 5.0 * e.sd_j / (n as f64).sqrt(),
            "{}: {mean} vs {}",
            p.name,
            e.energy_j
        );
        assert!((sd - e.sd_j).abs() < 0.02 * e.sd_j, "{}: MC SD {sd} vs analytic {}", p.name, e.sd_j);
    }
}

#[test]
fn mixture_sd_matches_monte_carlo() {
    // Two benchmarks, chosen with equal probability, each with its own normal error.
    let parts =
        [(7.32249998423626e-09, 1.1587796438365003e-08), (7.55068699399245e-09, 1.2888319052552955e-09)];
    let c = Coefficient::mixture(&parts, "test");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = 400_000;
    let (mut sum, mut sum2) = (0.0, 0.0);
    for _ in 0..n {
        let (m, s) = parts[usize::from(rng.random_bool(0.5))];
        let v = Normal::new(m, s).unwrap().sample(&mut rng);
        sum += v;
        sum2 += v * v;
    }
    let mean = sum / n as f64;
    let sd = (sum2 / n as f64 - mean * mean).sqrt();
    assert!((mean - c.value).abs() < 5.0 * c.sd / (n as f64).sqrt());
    assert!((sd - c.sd).abs() < 0.01 * c.sd, "{sd} vs {}", c.sd);

    // A wide range with exact ends: the SD is half the spread.
    let r = Coefficient::mixture(&[(14.0, 0.0), (58.0, 0.0)], "range");
    assert_eq!((r.value, r.sd), (36.0, 22.0));
}
