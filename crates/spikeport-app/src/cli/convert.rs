//! `spikeport convert`: convert a network for a platform and write the SNN as JSON.

use super::*;

/// The candidates given, or the platform's own sweep grid.
pub(super) fn sweep_grid(p: &Platform, given: &[f64]) -> Vec<f64> {
    if given.is_empty() {
        p.sweep_us.clone()
    } else {
        given.to_vec()
    }
}

pub(super) fn cmd_convert(
    g: &Global,
    m: ModelArgs,
    max_weight: Option<f64>,
    out: Option<String>,
) -> Result<(), Error> {
    let mut cfg: ConvertConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.max_weight = max_weight.or(cfg.max_weight);
    cfg.out = out.or(cfg.out);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    let model = load_model(&cfg.network, &cfg.model)?;
    let p = platform(&cfg.platform)?;
    let conversion = match cfg.max_weight {
        Some(w) => Conversion::Global { max_weight: w },
        None => Conversion::Sweep {
            settings: SweepSettings {
                max_weights: sweep_grid(&p, &[]),
                max_freqs_hz: Vec::new(),
                seed: cfg.seed,
            },
            calibration_images: cfg.calibration_images,
        },
    };
    let setup = setup(&model.header.name, p, conversion, 256, cfg.seed)?;
    let mnist = Mnist::load()?;
    let converted = crate::bench::convert(&model, &mnist.train, &setup)?;
    let out = PathBuf::from(cfg.out.unwrap_or_else(|| format!("{}.snn.json", model.header.name)));
    let mut bytes = serde_json::to_vec_pretty(&converted.network)?;
    bytes.push(b'\n');
    write_atomic(&out, &bytes)?;
    say(&format!(
        "{} for {}: {}; wrote {}\n",
        model.header.name,
        cfg.platform,
        converted.description,
        out.display()
    ))
}
