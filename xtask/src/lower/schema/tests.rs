use super::*;

#[test]
fn variant_names_drop_the_shared_words() {
    let named = |n: &str| {
        Ty::Named(TypePath {
            module: vec!["types".into()],
            name: n.into(),
        })
    };
    let tys = [
        named("ListsBulkOperationPendingOrRunning"),
        named("ListsBulkOperationCompleted"),
        named("ListsBulkOperationFailed"),
    ];
    let tags = vec![vec![]; 3];
    assert_eq!(
        variant_names("Union", &[false; 3], &tys, &tags, &vec![None; tags.len()]),
        ["PendingOrRunning", "Completed", "Failed"]
    );
    // A name that is all shared words keeps every name whole.
    let tys = [named("Item"), named("ItemIp")];
    assert_eq!(
        variant_names("Union", &[false; 2], &tys, &vec![vec![]; 2], &[None, None]),
        ["Item", "ItemIp"]
    );
    // `Unknown` is the catch-all's name.
    let tys = [named("XUnknown"), named("XKnown")];
    assert_eq!(
        variant_names("Union", &[false; 2], &tys, &vec![vec![]; 2], &[None, None]),
        ["Unknown2", "Known"]
    );
    // Inline members of a regrouped union are named by what follows the union's name.
    let tys = [Ty::String, named("MixedObject")];
    assert_eq!(
        variant_names(
            "Mixed",
            &[false, true],
            &tys,
            &vec![vec![]; 2],
            &[Some(JsonKind::String), Some(JsonKind::Object)]
        ),
        ["String", "Object"]
    );
}

#[test]
fn component_names_are_unescaped() {
    assert_eq!(
        component_name("#/components/schemas/a~1b", "schemas").as_deref(),
        Some("a/b")
    );
    assert_eq!(component_name("#/components/parameters/a", "schemas"), None);
    assert_eq!(component_name("other.yaml#/x", "schemas"), None);
}
