//! Replays every committed fuzz corpus file and past crash through its target
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`): CI runs the fuzzers' findings on
//! the stable toolchain without fuzzing. A target must return on every input; a panic fails
//! this test and names the file.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            files.extend(entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    files
}

#[test]
fn every_committed_input_returns_without_panicking() {
    let mut total = 0;
    for &(target, run) in spikeport_fuzz::TARGETS {
        let files = inputs(target);
        assert!(!files.is_empty(), "no corpus for fuzz target {target}");
        for f in &files {
            let bytes = std::fs::read(f).expect("a readable corpus file");
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            assert!(outcome.is_ok(), "fuzz target {target} panicked on {}", f.display());
        }
        total += files.len();
    }
    eprintln!("replayed {total} inputs");
}
