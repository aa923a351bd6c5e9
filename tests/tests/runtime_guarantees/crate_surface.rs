//! The crate as generated: `reqwest` re-exported for the types in the API, no unsafe code, its real MSRV and
//! the native-roots feature.

#[test]
fn reqwest_is_re_exported_for_the_types_in_the_api() {
    let status: cloudflare_sdk::reqwest::StatusCode = reqwest::StatusCode::OK;
    assert_eq!(status.as_u16(), 200);
    let _builder: cloudflare_sdk::reqwest::ClientBuilder =
        cloudflare_sdk::reqwest::Client::builder();
}

#[test]
fn the_crate_forbids_unsafe_and_declares_its_real_msrv_and_native_roots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated");
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(lib.contains("#![forbid(unsafe_code)]"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("rust-version = \"1.88\""), "{manifest}");
    assert!(
        manifest.contains("native-roots = [\"reqwest/rustls-tls-native-roots\"]"),
        "{manifest}"
    );
}
