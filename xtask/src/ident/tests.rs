use super::*;

#[test]
fn hazard_table() {
    let table: &[(&str, Case, &str)] = &[
        ("type", Case::Snake, "type_"),
        ("self", Case::Snake, "self_"),
        ("Self", Case::Pascal, "Self_"),
        ("crate", Case::Snake, "crate_"),
        ("async", Case::Snake, "async_"),
        ("2fa", Case::Snake, "n2fa"),
        ("2fa", Case::Pascal, "N2fa"),
        ("24h", Case::Pascal, "N24h"),
        (
            "lists_bulk-operation-response",
            Case::Pascal,
            "ListsBulkOperationResponse",
        ),
        ("account_identifier", Case::Snake, "account_identifier"),
        ("X-Auth-Email", Case::Snake, "x_auth_email"),
        ("documentation_url", Case::Pascal, "DocumentationUrl"),
        ("+", Case::Pascal, "Plus"),
        ("-", Case::Pascal, "Minus"),
        ("a+b", Case::Snake, "a_b"),
        ("", Case::Snake, "empty"),
        ("   ", Case::Pascal, "Empty"),
        ("café", Case::Snake, "caf_u00e9"),
        ("$ref", Case::Snake, "ref_"),
        ("@type", Case::Snake, "type_"),
        ("HTTPStatus", Case::Snake, "http_status"),
        ("ipv4", Case::Pascal, "Ipv4"),
    ];
    for (raw, case, want) in table {
        assert_eq!(&ident(raw, *case), want, "ident({raw:?}, {case:?})");
    }
}

#[test]
fn every_output_is_a_valid_identifier() {
    let samples = [
        "", "_", "__", "0", "9lives", "a b c", "🙂", "ü", "a-b_c.d", "*", "**", "type", "Self",
        "_type", "x\u{0}y", "\n", "1-2-3", "--", "a\"b", "union", "r#type",
    ];
    for raw in samples {
        for case in [Case::Snake, Case::Pascal] {
            let out = ident(raw, case);
            assert!(
                syn::parse_str::<syn::Ident>(&out).is_ok(),
                "{raw:?} -> {out:?} is not an identifier"
            );
            assert_ne!(out, "_", "{raw:?}");
        }
    }
}

#[test]
fn collisions_get_a_stable_suffix() {
    let mut scope = Scope::with_reserved(&["Unknown"]);
    assert_eq!(scope.claim("Unknown", Case::Pascal), "Unknown2");
    assert_eq!(scope.claim("Status", Case::Pascal), "Status");
    assert_eq!(scope.claim("Status", Case::Pascal), "Status2");
    assert_eq!(scope.claim("Status", Case::Pascal), "Status3");
    let mut fields = Scope::default();
    assert_eq!(fields.claim("id", Case::Snake), "id");
    assert_eq!(fields.claim("id", Case::Snake), "id_2");
    // `self` and `Self` both escape to a keyword's `_`; the second is numbered without a doubled `_`.
    assert_eq!(fields.claim("self_", Case::Snake), "self_");
    assert_eq!(fields.claim("self_", Case::Snake), "self_2");
    assert_eq!(scope.claim("Self_", Case::Pascal), "Self_");
    assert_eq!(scope.claim("Self_", Case::Pascal), "Self2");
}

#[test]
fn long_names_are_cut_with_a_hash_that_keeps_them_apart() {
    let a = "x".repeat(300) + "a";
    let b = "x".repeat(300) + "b";
    for case in [Case::Snake, Case::Pascal] {
        let (ia, ib) = (ident(&a, case), ident(&b, case));
        assert!(ia.len() <= MAX_IDENT && ib.len() <= MAX_IDENT, "{ia} {ib}");
        assert_ne!(ia, ib);
        assert_eq!(ia, ident(&a, case), "deterministic");
        assert!(syn::parse_str::<syn::Ident>(&ia).is_ok(), "{ia}");
    }
    assert_eq!(ident("short_name", Case::Snake), "short_name");
}
