//! Write → read is the identity for record files, whatever the records, keys and settings,
//! and through a resume.

use proptest::prelude::*;
use spikeport_records::{read, Fingerprint, RecordLog};

/// A record: some text (any characters, including newlines and quotes) and numbers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Rec {
    text: String,
    values: Vec<i64>,
    ratio: Option<f64>,
}

fn rec() -> impl Strategy<Value = Rec> {
    (any::<String>(), prop::collection::vec(any::<i64>(), 0..5), prop::option::of(-1e12f64..1e12))
        .prop_map(|(text, values, ratio)| Rec { text, values, ratio })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn records_read_back_as_written_also_after_a_resume(
        recs in prop::collection::vec(rec(), 0..12),
        setting in any::<String>(),
        split in 0usize..12,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.jsonl");
        let fp = |i: usize| Fingerprint::new().key("cell", i).setting("s", &setting).setting("n", i as u64);
        let split = split.min(recs.len());
        // part of the records, then (as after a kill) the rest in a resumed run
        let mut log = RecordLog::<Rec>::open(&path, "rec", false).expect("open");
        for (i, r) in recs[..split].iter().enumerate() {
            log.append(&fp(i), r).expect("append");
        }
        drop(log);
        let mut log = RecordLog::<Rec>::open(&path, "rec", true).expect("resume");
        for (i, r) in recs.iter().enumerate() {
            match log.lookup(&fp(i)).expect("same settings") {
                Some(found) => prop_assert_eq!(found, r),
                None => log.append(&fp(i), r).expect("append"),
            }
        }
        log.finish().expect("finish");
        let back = read::<Rec>(&path, "rec").expect("read");
        prop_assert_eq!(back.iter().map(|e| e.record.clone()).collect::<Vec<_>>(), recs.clone());
        for (i, e) in back.iter().enumerate() {
            prop_assert_eq!(&e.fingerprint, &fp(i));
        }
    }
}
