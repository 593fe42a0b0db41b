//! Write → read is the identity for IDX files of any shape and content, raw or gzipped.

use proptest::prelude::*;
use spikeport_data::{encode_idx, parse_idx, read_idx};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn idx_files_read_back_as_written(
        dims in prop::collection::vec(0usize..6, 1..4),
        seed in any::<u8>(),
    ) {
        let n: usize = dims.iter().product();
        let data: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let bytes = encode_idx(&dims, &data).expect("encode");
        let a = parse_idx(&bytes, std::path::Path::new("mem")).expect("parse");
        prop_assert_eq!(&a.dims, &dims);
        prop_assert_eq!(&a.data, &data);
        // through a file, raw and gzipped
        let dir = tempfile::tempdir().expect("temp dir");
        let raw = dir.path().join("a.idx");
        std::fs::write(&raw, &bytes).expect("write");
        let gz = dir.path().join("a.idx.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &bytes).expect("compress");
        std::fs::write(&gz, enc.finish().expect("compress")).expect("write");
        for path in [raw, gz] {
            let b = read_idx(&path).expect("read");
            prop_assert_eq!(&b.dims, &dims);
            prop_assert_eq!(&b.data, &data);
        }
    }
}
