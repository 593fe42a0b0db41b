//! The table's reports: Markdown, the findings computed from the cells, and the series of
//! its figures.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use spikeport_bench::Record;

use super::{Cell, HilOutcome, Outcome};

fn sig(x: f64) -> String {
    spikeport_energy::model::si(x, "J")
}

/// One point per finished cell for [`spikeport_plot::energy_vs_accuracy`]: SNN accuracy
/// (before HIL) and the energy per inference of the platform's profile, or the host's
/// (labelled `PLATFORM (host)`) for platforms without a profile.
pub fn energy_points(cells: &[Cell]) -> Vec<spikeport_plot::EnergyPoint> {
    cells
        .iter()
        .filter_map(|c| {
            let Outcome::Done { record: r, .. } = &c.outcome else { return None };
            let (platform, energy_j, energy_sd_j) = match r.energy.first() {
                Some(e) => (e.profile.clone(), e.energy_j, e.sd_j),
                None => {
                    let (m, sd) = r.host_energy_per_image()?;
                    (format!("{} (host)", c.platform), m, sd)
                }
            };
            Some(spikeport_plot::EnergyPoint {
                network: c.network.clone(),
                platform,
                accuracy_pct: r.snn_accuracy_pct,
                energy_j,
                energy_sd_j,
            })
        })
        .collect()
}

/// The energy-per-inference curve over network copies of every finished cell with an energy
/// profile (the first profile's mean), for [`spikeport_plot::energy_vs_copies`].
pub fn copies_series(cells: &[Cell]) -> Vec<spikeport_plot::CopiesSeries> {
    cells
        .iter()
        .filter_map(|c| {
            let Outcome::Done { record: r, .. } = &c.outcome else { return None };
            let cost = r.cost.as_ref()?;
            let points: Vec<(f64, f64)> = cost
                .curve
                .iter()
                .filter_map(|at| at.energy_per_inference.first().map(|e| (at.copies as f64, e.energy_j)))
                .filter(|&(_, e)| e > 0.0)
                .collect();
            (!points.is_empty()).then(|| spikeport_plot::CopiesSeries {
                network: c.network.clone(),
                platform: c.platform.clone(),
                points,
            })
        })
        .collect()
}

/// The cost of inference of the finished cells as Markdown
/// ([`spikeport_bench::cost_table`]).
pub fn cost_markdown(cells: &[Cell]) -> String {
    spikeport_bench::cost_table(&records(cells))
}

/// The records of the finished cells.
pub fn records(cells: &[Cell]) -> Vec<Record> {
    cells
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Done { record, .. } => Some((**record).clone()),
            Outcome::DoesNotRun { .. } => None,
        })
        .collect()
}

/// Energy per inference of a record as `mean ± SD` with the profile's name and kind; the
/// host's energy for platforms without a profile (the reference simulator).
pub fn energy_text(r: &Record) -> String {
    if let Some(e) = r.energy.first() {
        let est = if e.kind == spikeport_energy::ProfileKind::Estimate { ", estimate" } else { "" };
        format!("{} ± {} ({}{est})", sig(e.energy_j), sig(e.sd_j), e.profile)
    } else if let Some((m, sd)) = r.host_energy_per_image() {
        let how = match &r.host_energy {
            Some(h) if h.is_measured() => "host, RAPL",
            _ => "host, assumed power",
        };
        format!("{} ± {} ({how})", sig(m), sig(sd))
    } else {
        "—".into()
    }
}

/// The "after HIL" column: the accuracy, and where HIL tested with a presentation other
/// than the cell's, the accuracy before HIL with it and the presentation.
fn hil_text(h: &HilOutcome) -> String {
    match (h.test_encoder, h.before_pct) {
        (Some(e), Some(b)) => format!(
            "{:.2} (from {b:.2}, both at {} ms / {} Hz)",
            h.accuracy_pct,
            e.duration_ms(),
            e.max_freq_hz()
        ),
        _ => format!("{:.2}", h.accuracy_pct),
    }
}

/// The energy per inference at the most copies that fit, J, under the first profile.
fn energy_at_max(r: &Record) -> Option<(f64, f64, bool)> {
    let e = r.cost.as_ref()?.at_max.energy_per_inference.first()?;
    Some((e.energy_j, e.sd_j, e.kind == spikeport_energy::ProfileKind::Estimate))
}

/// What the finished cells say about the paper's claims, computed from them (so it is
/// regenerated with the table and never quotes a superseded figure): the ordering of the
/// platforms by energy per inference at the most copies that fit, per network; how far the
/// copies bring SpiNNaker's energy per inference down; whether each SpiNNaker run keeps
/// real time under the tick model, or the time-scale factor it needs.
pub fn findings_markdown(cells: &[Cell]) -> String {
    let done: Vec<(&Cell, &Record)> = cells
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Done { record, .. } => Some((c, record.as_ref())),
            Outcome::DoesNotRun { .. } => None,
        })
        .collect();
    let mut s = String::new();
    let mut networks: Vec<&str> = Vec::new();
    for (c, _) in &done {
        if !networks.contains(&c.network.as_str()) {
            networks.push(&c.network);
        }
    }
    let _ = writeln!(
        s,
        "**Platforms ordered by energy per inference at the most copies that fit** (first energy profile; \
         \"estimate\" marks a profile that is not a measurement; the reference simulator has no profile):\n"
    );
    for net in &networks {
        let mut row: Vec<(&str, f64, f64, bool)> = done
            .iter()
            .filter(|(c, _)| c.network == *net)
            .filter_map(|(c, r)| energy_at_max(r).map(|(e, sd, est)| (c.platform.as_str(), e, sd, est)))
            .collect();
        row.sort_by(|a, b| a.1.total_cmp(&b.1));
        if row.is_empty() {
            continue;
        }
        let text: Vec<String> = row
            .iter()
            .map(|(p, e, sd, est)| {
                format!("{p} {} ± {}{}", sig(*e), sig(*sd), if *est { " (estimate)" } else { "" })
            })
            .collect();
        let _ = writeln!(s, "* {net}: {}", text.join(" < "));
    }
    // the paper's claim for Spikey-net: analog < SpiNNaker < the CPU simulator
    let at = |net: &str, p: &str| {
        done.iter().find(|(c, _)| c.network == net && c.platform == p).and_then(|(_, r)| energy_at_max(r))
    };
    if let (Some(spinn), Some(cpu)) = (at("spikey-net", "spinnaker"), at("spikey-net", "fast")) {
        let analog: Vec<(&str, f64)> =
            ["spikey", "brainscales"].iter().filter_map(|p| at("spikey-net", p).map(|e| (*p, e.0))).collect();
        let analog_below = analog.iter().all(|(_, e)| *e < spinn.0);
        let holds = analog_below && !analog.is_empty() && spinn.0 < cpu.0;
        let _ = writeln!(
            s,
            "\n**The paper's ordering for Spikey-net** (analog below SpiNNaker below the CPU simulator, energy per \
             inference at the most copies that fit): **{}** — {}; SpiNNaker {}; CPU simulator (`fast`, GeNN on a \
             Ryzen 2600X) {}. The coefficients are SNABSuite's and were not tuned toward this.",
            if holds { "holds" } else { "does not hold" },
            if analog.is_empty() {
                "no analog cell ran".to_string()
            } else {
                analog.iter().map(|(p, e)| format!("{p} {}", sig(*e))).collect::<Vec<_>>().join(", ")
            },
            sig(spinn.0),
            sig(cpu.0)
        );
    }
    // how far the copies bring SpiNNaker down, and real time under the tick model
    let spinn: Vec<&(&Cell, &Record)> =
        done.iter().filter(|(c, _)| c.platform.starts_with("spinnaker")).collect();
    if !spinn.is_empty() {
        let _ = writeln!(
            s,
            "\n**SpiNNaker: copies and real time.** Energy per inference at one copy and at the most that fit (one \
             board); the busiest core-tick of the run at the cell's setting in ‰ of a real-time tick's cycle \
             budget under the assumed cycle costs (above 1000 ‰ the run needs a time-scale factor of at least \
             load ÷ 1000):\n"
        );
        let _ = writeln!(
            s,
            "| network | platform | copies: setting / max | energy / inference: 1 copy → max (×) | busiest core-tick (‰) | overrun core-ticks | needs time-scale factor |"
        );
        let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|");
        for (c, r) in spinn {
            let Some(cost) = &r.cost else { continue };
            let e1 = cost.at_one.energy_per_inference.first().map(|e| e.energy_j);
            let em = cost.at_max.energy_per_inference.first().map(|e| e.energy_j);
            let load = r.platform_counters.get(&spikeport_snn::Counter::MaxTickLoadPermille).copied();
            let overruns =
                r.platform_counters.get(&spikeport_snn::Counter::TickOverruns).copied().unwrap_or(0);
            let ticks = r.platform_counters.get(&spikeport_snn::Counter::CoreTicks).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "| {} | {} | {} / {} | {} | {} | {} of {} | {} |",
                c.network,
                r.platform,
                cost.copies_setting,
                cost.copies_max,
                match (e1, em) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{} → {} ({:.0}×)", sig(a), sig(b), a / b),
                    _ => "—".into(),
                },
                load.map_or("—".into(), |l| l.to_string()),
                overruns,
                ticks,
                load.map_or("—".into(), |l| if l <= 1000 {
                    "1 (real time)".into()
                } else {
                    format!("{:.2}", l as f64 / 1000.0)
                }),
            );
        }
    }
    s
}

/// The table as Markdown: one row per cell, with the columns of the paper's table, then the
/// energy sources and assumptions used.
pub fn results_markdown(cells: &[Cell]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| network | platform | images | ANN acc. (%) | SNN acc. (%) | conv. loss (pp) | after HIL (%) | \
         modelled time / inference | energy / inference | syn. events / inference | spikes / inference | max_weight (µS) |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
    for c in cells {
        match &c.outcome {
            Outcome::Done { record: r, hil } => {
                let spikes: f64 = r.spikes_per_image.iter().skip(1).sum();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {:.3e} | {:.0} | {} |",
                    c.network,
                    c.platform,
                    r.images,
                    r.ann_accuracy_pct,
                    r.snn_accuracy_pct,
                    r.conversion_loss_pp,
                    hil.as_ref().map_or("—".into(), hil_text),
                    spikeport_energy::model::si(r.hardware_s_per_image, "s"),
                    energy_text(r),
                    r.synaptic_events_per_image,
                    spikes,
                    r.max_weight.map_or("—".into(), |w| w.to_string()),
                );
            }
            Outcome::DoesNotRun { reason } => {
                let _ = writeln!(
                    s,
                    "| {} | {} | — | | | | | | does not run: {reason} | | | |",
                    c.network, c.platform
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "\n### Cost of inference\n\nTime and energy per inference the paper's way: one run of all {} test images \
         with `k` network copies side by side, each on its share; time = the run's modelled time ÷ images, energy = the \
         whole run's energy ÷ images, on the platform's own clock; at one copy (latency), at the cell's setting \
         (SNABSuite's images per copy) and at the most copies that fit (throughput). This host's wall time and \
         energy are apart. Set-up and loading are not included.\n",
        cells
            .iter()
            .find_map(|c| match &c.outcome {
                Outcome::Done { record, .. } => record.cost.as_ref().map(|k| k.images),
                Outcome::DoesNotRun { .. } => None,
            })
            .unwrap_or(10_000)
    );
    s.push_str(&cost_markdown(cells));
    let _ = writeln!(s, "\n### What the cells say\n");
    s.push_str(&findings_markdown(cells));
    // the sources of every energy figure, once per profile
    let mut seen = BTreeSet::new();
    let mut notes = String::new();
    for c in cells {
        if let Outcome::Done { record, .. } = &c.outcome {
            for e in &record.energy {
                if seen.insert(e.profile.clone()) {
                    let _ = writeln!(notes, "* **{}** ({}):", e.profile, e.kind);
                    for t in &e.terms {
                        // "J per spike" → value in J with an SI prefix, then " per spike"
                        let unit = t.term.coefficient_unit();
                        let (base, rest) = unit.split_once(' ').unwrap_or((unit, ""));
                        let _ = writeln!(
                            notes,
                            "  * {}: {} ± {} {rest} — {}",
                            t.term.label(),
                            spikeport_energy::model::si(t.coefficient.value, base),
                            spikeport_energy::model::si(t.coefficient.sd, base),
                            t.coefficient.source
                        );
                    }
                    for a in &e.assumptions {
                        let _ = writeln!(notes, "  * assumption: {a}");
                    }
                }
            }
            if record.energy.is_empty() {
                if let Some(h) = &record.host_energy {
                    if seen.insert(format!("host {}", c.platform)) {
                        let _ = writeln!(notes, "* **host** (`{}`): {}", c.platform, h.method_text());
                    }
                }
            }
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(s, "\nEnergy sources (± is 1 SD):\n");
        s.push_str(&notes);
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use spikeport_bench::{CostAt, CostOfInference};
    use spikeport_energy::{EnergyEstimate, ProfileKind};
    use spikeport_snn::Counter;

    use super::*;

    fn at(copies: usize, energy_j: f64) -> CostAt {
        CostAt {
            copies,
            run_bio_ms: 550.0,
            run_time_s: Some(0.55),
            run_time_sd_s: 0.0,
            time_per_inference_s: Some(0.55 / copies as f64),
            energy_per_inference: vec![EnergyEstimate {
                profile: "p".into(),
                kind: ProfileKind::Measured,
                energy_j,
                sd_j: energy_j / 10.0,
                images: 1.0,
                terms: Vec::new(),
                assumptions: Vec::new(),
            }],
            hardware_units: BTreeMap::new(),
        }
    }

    fn cell(network: &str, platform: &str, one_j: f64, max_j: f64, load_permille: Option<u64>) -> Cell {
        let mut platform_counters = BTreeMap::new();
        if let Some(l) = load_permille {
            platform_counters.insert(Counter::MaxTickLoadPermille, l);
            platform_counters.insert(Counter::TickOverruns, u64::from(l > 1000) * 7);
            platform_counters.insert(Counter::CoreTicks, 1000);
        }
        let record = Record {
            network: network.into(),
            backend: platform.into(),
            platform: platform.into(),
            images: 10,
            ann_accuracy_pct: 90.0,
            snn_accuracy_pct: 89.0,
            conversion_loss_pp: 1.0,
            ann_agreement_pct: 95.0,
            no_decision_pct: 0.0,
            conversion: "global".into(),
            max_weight: Some(0.01),
            neuron_model: "IF_cond_exp".into(),
            max_freq_hz: 120.0,
            duration_ms: 500.0,
            pause_ms: 50.0,
            dt_ms: 1.0,
            bio_ms_per_image: 550.0,
            hardware_s_per_image: 0.55,
            wall_s_per_image: 0.001,
            total_wall_s: 1.0,
            synaptic_events_per_image: 1.0,
            spikes_per_image: vec![1.0, 1.0],
            neuron_updates_per_image: 1.0,
            neurons: 10,
            synapses: 10,
            accuracy_vs_time: Vec::new(),
            seed: 0,
            threads: 1,
            hardware_units: BTreeMap::new(),
            platform_counters,
            energy: Vec::new(),
            host_energy: None,
            copies: 1,
            cost: Some(CostOfInference {
                clock: "c".into(),
                images: 10,
                copies_setting: 1,
                copies_max: 4,
                binding_constraint: None,
                at_one: at(1, one_j),
                at_setting: at(1, one_j),
                at_max: at(4, max_j),
                curve: Vec::new(),
                setup_s: 0.0,
            }),
            metrics: None,
            predictions: Vec::new(),
        };
        Cell {
            network: network.into(),
            platform: platform.into(),
            outcome: Outcome::Done { record: Box::new(record), hil: None },
        }
    }

    #[test]
    fn the_findings_order_the_platforms_and_judge_the_papers_claim() {
        let cells = vec![
            cell("spikey-net", "fast", 0.02, 0.02, None),
            cell("spikey-net", "spinnaker", 12.0, 0.05, Some(800)),
            cell("spikey-net", "spikey", 2e-4, 1e-4, None),
            cell("nas63", "spinnaker", 12.0, 0.1, Some(2500)),
        ];
        let f = findings_markdown(&cells);
        assert!(f.contains("* spikey-net: spikey 100.0 µJ"), "{f}");
        assert!(f.contains("< fast 20.00 mJ"), "{f}");
        // SpiNNaker (0.05 J) is above the CPU simulator (0.02 J): the ordering does not hold
        assert!(f.contains("**does not hold**"), "{f}");
        assert!(f.contains("| spikey-net | spinnaker | 1 / 4 | 12.00 J → 50.00 mJ (240×) | 800 | 0 of 1000 | 1 (real time) |"), "{f}");
        assert!(f.contains("| 2500 | 7 of 1000 | 2.50 |"), "{f}");
        let holds = vec![
            cell("spikey-net", "fast", 0.2, 0.2, None),
            cell("spikey-net", "spinnaker", 12.0, 0.05, Some(800)),
            cell("spikey-net", "spikey", 2e-4, 1e-4, None),
        ];
        assert!(findings_markdown(&holds).contains("**holds**"));
    }
}
