//! `spikeport sweep`: the weight-scale sweep on training images, resumable.

use super::*;

pub(super) fn read_points(path: &Path) -> Result<Vec<SweepPoint>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display()).into()),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut points = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match serde_json::from_str::<SweepPoint>(l) {
            Ok(p) => points.push(p),
            // a torn last line from a killed run
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => return Err(format!("{} line {}: {e}", path.display(), i + 1).into()),
        }
    }
    Ok(points)
}

pub(super) fn cmd_sweep(
    g: &Global,
    m: ModelArgs,
    weights: Option<Vec<f64>>,
    out: PathBuf,
    resume: bool,
) -> Result<(), Error> {
    use std::io::Write as _;
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
    let mut points = if resume { read_points(&out)? } else { Vec::new() };
    if !resume && out.exists() {
        std::fs::remove_file(&out)?;
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mnist = Mnist::load()?;
    let calib = mnist.train.take(cfg.calibration_images.min(mnist.train.len()))?;
    let x = model.features(&calib)?;
    let pb = bar((grid.len() * freqs.len()) as u64, "points");
    pb.set_prefix(format!("sweep {} on {}", model.header.name, cfg.platform));
    for &f in &freqs {
        let input = p.encoder.with_max_freq(f)?.encode(x.view())?;
        for &w in &grid {
            pb.inc(1);
            if points.iter().any(|q| q.max_weight == w && q.max_freq_hz == f) {
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
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&out)?;
            writeln!(file, "{}", serde_json::to_string(&point)?)?;
            file.sync_all()?;
            pb.suspend(|| eprintln!("max_weight {w} µS, {f} Hz: {:.2} %", point.accuracy_pct));
            points.push(point);
        }
    }
    pb.finish_and_clear();
    let best = choose(&points).ok_or("no sweep points")?;
    println!(
        "best: max_weight {} µS at {} Hz, {:.2} % on {} training images ({} points in {})",
        best.max_weight,
        best.max_freq_hz,
        best.accuracy_pct,
        calib.len(),
        points.len(),
        out.display()
    );
    let csv = std::iter::once("max_weight_us,max_freq_hz,accuracy_pct".to_string())
        .chain(points.iter().map(|q| format!("{},{},{}", q.max_weight, q.max_freq_hz, q.accuracy_pct)))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    write_outputs(g, &serde_json::json!({ "points": points, "best": best }), Some(csv))
}
