//! A model's content bytes change with its header as well as its weights.

#[test]
fn content_bytes_cover_the_header_and_the_weights() {
    let model = spikeport_ann::load_zoo("spikey-net").expect("zoo");
    let bytes = model.content_bytes();
    assert_eq!(bytes, spikeport_ann::load_zoo("spikey-net").expect("zoo").content_bytes());
    assert!(bytes.ends_with(&model.network.content_bytes()));
    let mut renamed = model.clone();
    renamed.header.name.push('2');
    assert_ne!(renamed.content_bytes(), bytes, "the header counts");
}
