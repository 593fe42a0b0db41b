//! `spikeport run`: one network on one platform over test images.

use super::*;

/// The harness setup of platform `p` for network `network` (its backend with the paper's
/// deployment settings for it, [`deployment_for`](crate::registry::deployment_for)).
pub(super) fn setup(
    network: &str,
    p: Platform,
    conversion: Conversion,
    batch: usize,
    seed: u64,
) -> Result<BackendSetup, Error> {
    let (copies, settings) = crate::registry::deployment_for(&p, network);
    let mut s = BackendSetup::from_platform(&p, p.backend_for(&settings)?, conversion, batch, seed, copies);
    // price the paper's run of the whole test set (10,000 images)
    s.priced_images = Some(crate::data::Mnist::TEST_LEN);
    Ok(s)
}

pub(super) fn cmd_run(
    g: &Global,
    m: ModelArgs,
    conversion: Option<String>,
    max_weight: Option<f64>,
    max_freq: Option<f64>,
) -> Result<(), Error> {
    let mut cfg: RunConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.conversion = conversion.unwrap_or(cfg.conversion);
    cfg.max_weight = max_weight.or(cfg.max_weight);
    cfg.max_freq_hz = max_freq.or(cfg.max_freq_hz);
    cfg.images = g.images.unwrap_or(cfg.images);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    if cfg.images == 0 || cfg.batch == 0 {
        return Err("`images` and `batch` must be ≥ 1".into());
    }
    let loaded = load_any(&cfg.network, &cfg.model)?;
    let mut p = platform(&cfg.platform)?;
    let model = match loaded {
        Loaded::Ann(m) => *m,
        Loaded::Snn { network, bias_input } => {
            if p.family != Family::Analog {
                if let Some(f) = cfg.max_freq_hz {
                    p.encoder = p.encoder.with_max_freq(f)?;
                }
            }
            if g.csv.is_some() {
                return Err("--csv: a spiking network run as it is has no record table; use --json".into());
            }
            let mnist = Mnist::load()?;
            let pre = crate::io::onnx::default_preprocessing(network.input_size() - usize::from(bias_input));
            let r = run_as_is(&network, bias_input, pre, &mnist.test, &p, cfg.images, cfg.batch)?;
            write_outputs(g, &r, None)?;
            return say(&format!(
                "{} on {}: SNN {:.2} % on {} images, {:.2} % without a decision, {:.3} ms/image \
                 (as given, no conversion)\n",
                cfg.model.as_deref().unwrap_or_default(),
                cfg.platform,
                r.snn_accuracy_pct,
                r.images,
                r.no_decision_pct,
                1e3 * r.wall_s_per_image
            ));
        }
    };
    let per_layer = match cfg.conversion.as_str() {
        "paper" => false,
        "per-layer" => true,
        other => return Err(unknown("conversion", other, &["paper", "per-layer"]).into()),
    };
    if p.family != Family::Analog {
        let f = cfg.max_freq_hz.unwrap_or(if per_layer { 250.0 } else { p.encoder.max_freq_hz() });
        p.encoder = p.encoder.with_max_freq(f)?;
    }
    let conversion = match (per_layer, cfg.max_weight) {
        (true, _) => Conversion::PerLayer {
            percentile: DEFAULT_PERCENTILE,
            neuron: IfCurrDeltaSubParams::new().check()?,
            calibration_images: cfg.calibration_images,
        },
        (false, Some(w)) => Conversion::Global { max_weight: w },
        (false, None) => Conversion::Sweep {
            settings: SweepSettings {
                max_weights: sweep_grid(&p, &[]),
                max_freqs_hz: Vec::new(),
                seed: cfg.seed,
            },
            calibration_images: cfg.calibration_images,
        },
    };
    let name = cfg.platform.clone();
    let mut s = setup(&model.header.name, p, conversion, cfg.batch, cfg.seed)?;
    s.keep_predictions = g.predictions.is_some();
    let mnist = Mnist::load()?;
    let test = mnist.test.take(images_of("images", cfg.images, mnist.test.len())?)?;
    let pb = bar(test.len() as u64, "images");
    pb.set_prefix(format!("{} on {name}", model.header.name));
    let mut record = run_cell(&model, &test, &mnist.train, &s, &mut |pr| pb.set_position(pr.done as u64))?;
    pb.finish_and_clear();
    // the results files first: a closed standard output cannot lose them
    let mut text = markdown_table(std::slice::from_ref(&record));
    if let Some(cost) = &record.cost {
        text += &format!(
            "copies: {} in the setting, at most {} ({}); clock: {}\n",
            cost.copies_setting,
            cost.copies_max,
            cost.binding_constraint.as_deref().unwrap_or("the images bind"),
            cost.clock
        );
        for (what, at) in
            [("1 copy", &cost.at_one), ("setting", &cost.at_setting), ("most copies", &cost.at_max)]
        {
            let t = at.time_per_inference_s.map_or("—".into(), |t| crate::energy::model::si(t, "s"));
            let e: Vec<String> = at.energy_per_inference.iter().map(|e| e.to_string()).collect();
            text += &format!("{what:>12} ({} copies): {t} per inference; {}\n", at.copies, e.join("; "));
        }
    }
    if let Some((m, sd)) = record.host_energy_per_image() {
        text += &format!("host energy per image: {m:.4e} ± {sd:.4e} J\n");
    }
    if let Some(p) = &g.predictions {
        write_atomic(p, crate::bench::predictions_csv(std::slice::from_ref(&record)).as_bytes())?;
        eprintln!("wrote {}", p.display());
        record.predictions.clear();
    }
    if let Some(p) = &g.json {
        write_json(p, std::slice::from_ref(&record))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &g.csv {
        write_csv(p, std::slice::from_ref(&record))?;
        eprintln!("wrote {}", p.display());
    }
    say(&text)
}
