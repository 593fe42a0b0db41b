//! `spikeport table`: the paper's full table, resumable.

use super::*;

pub(super) fn cmd_table(g: &Global, out: PathBuf, cells_path: PathBuf, resume: bool) -> Result<(), Error> {
    let mut cfg: TableConfig = config(&g.config)?;
    if let Some(n) = g.images {
        cfg.images = n;
    }
    if let Some(s) = g.seed {
        cfg.seed = s;
    }
    cfg.check()?;
    let mnist = Mnist::load()?;
    let (cells, _) = run_table_to_file(&cfg, &mnist, &cells_path, resume)?;
    let md = results_markdown(&cells);
    write_atomic(&out, md.as_bytes())?;
    eprintln!("wrote {}", out.display());
    let records = records(&cells);
    write_outputs(g, &cells, Some(to_csv(&records)))?;
    say(&md)
}
