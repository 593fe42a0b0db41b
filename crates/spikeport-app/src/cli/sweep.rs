//! `spikeport sweep`: the weight-scale sweep on training images, resumable.

use super::*;

/// The kind of the sweep's record files ([`spikeport_records`]).
pub(super) const POINT_KIND: &str = "sweep-point";

pub(super) fn cmd_sweep(
    g: &Global,
    m: ModelArgs,
    weights: Option<Vec<f64>>,
    out: PathBuf,
    resume: bool,
) -> Result<(), Error> {
    let mut cfg: SweepConfig = config(&g.config)?;
    cfg.network = m.network.unwrap_or(cfg.network);
    cfg.model = m.model.or(cfg.model);
    cfg.platform = m.platform.unwrap_or(cfg.platform);
    cfg.max_weights = weights.unwrap_or(cfg.max_weights);
    cfg.calibration_images = g.images.unwrap_or(cfg.calibration_images);
    cfg.seed = g.seed.unwrap_or(cfg.seed);
    let model = load_model(&cfg.network, &cfg.model)?;
    let p = platform(&cfg.platform)?;
    let backend = p.backend()?;
    let grid = sweep_grid(&p, &cfg.max_weights);
    if let Some(bad) = grid.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(format!("max_weights: {bad} is not a weight > 0").into());
    }
    let freqs =
        if cfg.max_freqs_hz.is_empty() { vec![p.encoder.max_freq_hz()] } else { cfg.max_freqs_hz.clone() };
    let mnist = Mnist::load()?;
    let calib =
        mnist.train.take(images_of("calibration_images", cfg.calibration_images, mnist.train.len())?)?;
    let x = model.features(&calib)?;
    // what a point depends on besides its grid position
    let mut data = Vec::new();
    data.extend(calib.images().iter().copied());
    data.extend_from_slice(calib.labels());
    let model_bytes = model.content_bytes();
    let settings_text = p.settings_text(&Default::default());
    let fingerprint = |w: f64, f: f64| {
        Fingerprint::new()
            .key("max_weight_us", w)
            .key("max_freq_hz", f)
            .setting("network", &model.header.name)
            .setting_hash("model_sha256", &model_bytes)
            .setting("platform", &cfg.platform)
            .setting_hash("platform_sha256", settings_text.as_bytes())
            .setting("seed", cfg.seed)
            .setting("calibration_images", calib.len())
            .setting_hash("calibration_sha256", &data)
            .setting("spikeport_version", env!("CARGO_PKG_VERSION"))
    };
    // written to <out>.partial, which replaces <out> when the sweep is done
    let mut log = RecordLog::<SweepPoint>::open(&out, POINT_KIND, resume)?;
    let pb = bar((grid.len() * freqs.len()) as u64, "points");
    pb.set_prefix(format!("sweep {} on {}", model.header.name, cfg.platform));
    let mut points = Vec::new();
    for &f in &freqs {
        let input = p.encoder.with_max_freq(f)?.encode(x.view())?;
        for &w in &grid {
            pb.inc(1);
            let fp = fingerprint(w, f);
            if let Some(point) = log.lookup(&fp)? {
                points.push(*point);
                continue;
            }
            let net = convert_global(&model.network, &p.neuron, w, DEFAULT_DELAY_MS)?.network;
            let mut session = backend.session(&net, Placement::from(cfg.seed))?;
            let outp = session.run(&input, &Recording::counts_only())?;
            let point = SweepPoint {
                max_weight: w,
                max_freq_hz: f,
                accuracy_pct: outp.accuracy_pct(calib.labels())?,
            };
            log.append(&fp, &point)?;
            pb.suspend(|| eprintln!("max_weight {w} µS, {f} Hz: {:.2} %", point.accuracy_pct));
            points.push(point);
        }
    }
    pb.finish_and_clear();
    log.finish()?;
    let best = choose(&points).ok_or("no sweep points")?;
    let csv = std::iter::once("max_weight_us,max_freq_hz,accuracy_pct".to_string())
        .chain(points.iter().map(|q| format!("{},{},{}", q.max_weight, q.max_freq_hz, q.accuracy_pct)))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    // the results are on disk before anything is printed
    write_outputs(g, &serde_json::json!({ "points": points, "best": best }), Some(csv))?;
    say(&format!(
        "best: max_weight {} µS at {} Hz, {:.2} % on {} training images ({} points in {})\n",
        best.max_weight,
        best.max_freq_hz,
        best.accuracy_pct,
        calib.len(),
        points.len(),
        out.display()
    ))
}
