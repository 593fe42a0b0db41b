//! `spikeport energy`: price benchmark records or an activity file with an energy profile.

use super::*;

pub(super) fn profile_by_name(name: &str) -> Result<Profile, Error> {
    const NAMES: [&str; 7] =
        ["spinn5", "spinn3", "spikey", "brainscales1", "genn_cpu_ryzen2600x", "genn_gpu_rtx2070", "host_cpu"];
    Ok(match name {
        "spinn5" => profiles::spinn5(),
        "spinn3" => profiles::spinn3(),
        "spikey" => profiles::spikey(),
        "brainscales1" => profiles::brainscales1(),
        "genn_cpu_ryzen2600x" => profiles::genn_cpu_ryzen2600x(),
        "genn_gpu_rtx2070" => profiles::genn_gpu_rtx2070(),
        "host_cpu" => profiles::host_cpu(),
        other => return Err(unknown("energy profile", other, &NAMES).into()),
    })
}

pub(super) fn cmd_energy(
    g: &Global,
    profile: Option<String>,
    input: Option<String>,
    records: Option<String>,
    list: bool,
) -> Result<(), Error> {
    let mut cfg: EnergyConfig = config(&g.config)?;
    cfg.profile = profile.unwrap_or(cfg.profile);
    cfg.input = input.or(cfg.input);
    cfg.records = records.or(cfg.records);
    let mut shown = String::new();
    if list {
        for p in profiles::all() {
            shown += &format!("{} ({}): {}\n", p.name, p.kind, p.description);
            for (term, c) in &p.coefficients {
                shown += &format!(
                    "  {}: {} ± {} {} — {}\n",
                    term.label(),
                    c.value,
                    c.sd,
                    term.coefficient_unit(),
                    c.source
                );
            }
        }
        return say(&shown);
    }
    let p = match &cfg.profile_file {
        Some(f) => Profile::load(f)?,
        None => profile_by_name(&cfg.profile)?,
    };
    let mut out = Vec::new();
    if let Some(path) = &cfg.input {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let inp: EnergyInput = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let e = p.estimate(&inp)?;
        shown += &format!("{e}\n");
        out.push(e);
    }
    if let Some(path) = &cfg.records {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let recs: Vec<Record> = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        for r in &recs {
            let inp = EnergyInput {
                images: 1.0,
                neurons: r.neurons as f64,
                spikes: r.spikes_per_image.iter().skip(1).sum(),
                input_spikes: r.spikes_per_image.first().copied().unwrap_or(0.0),
                synaptic_events: r.synaptic_events_per_image,
                packets: r
                    .platform_counters
                    .get(&Counter::PacketsSent)
                    .map_or(0.0, |&v| v as f64 / r.images.max(1) as f64),
                cores: r.hardware_units.get(&UnitKind::Core).copied().unwrap_or(0) as f64,
                chips: (r.hardware_units.get(&UnitKind::Chip).copied().unwrap_or(0)
                    + r.hardware_units.get(&UnitKind::Hicann).copied().unwrap_or(0))
                    as f64,
                boards: r.hardware_units.get(&UnitKind::Board).copied().unwrap_or(0) as f64,
                bio_time_ms: r.bio_ms_per_image,
                hardware_time_s: r.hardware_s_per_image,
                wall_time_s: r.wall_s_per_image,
            };
            let e = p.estimate(&inp)?;
            shown += &format!("{} on {}: {e} per inference\n", r.network, r.backend);
            out.push(e);
        }
    }
    if cfg.input.is_none() && cfg.records.is_none() {
        return Err("energy: give --input FILE, --records FILE or --list".into());
    }
    write_outputs(g, &out, None)?;
    say(&shown)
}
