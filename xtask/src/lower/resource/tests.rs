use super::*;

#[test]
fn placement_table() {
    let table: &[(&str, &str, bool, &[&str], &str)] = &[
        (
            "/accounts/{account_id}/rules/lists/bulk_operations/{operation_id}",
            "get",
            false,
            &["rules", "lists", "bulk_operations"],
            "get",
        ),
        (
            "/accounts/{account_id}/rules/lists",
            "get",
            true,
            &["rules", "lists"],
            "list",
        ),
        (
            "/accounts/{account_id}/rules/lists",
            "post",
            false,
            &["rules", "lists"],
            "create",
        ),
        (
            "/accounts/{account_identifier}/rules/lists/{list_id}/items/{item_id}",
            "get",
            false,
            &["rules", "lists", "items"],
            "get",
        ),
        (
            "/accounts/{account_id}/rules/lists/{list_id}/items",
            "delete",
            false,
            &["rules", "lists", "items"],
            "delete",
        ),
        (
            "/accounts/{account_id}/rules/lists/{list_id}/items",
            "put",
            false,
            &["rules", "lists", "items"],
            "update",
        ),
        (
            "/zones/{zone_id}/dns_records/{dns_record_id}",
            "patch",
            false,
            &["dns_records"],
            "edit",
        ),
        ("/accounts/{account_id}", "get", false, &["accounts"], "get"),
        (
            "/user/tokens/verify",
            "get",
            false,
            &["user", "tokens", "verify"],
            "get",
        ),
        ("/", "get", false, &["root"], "get"),
        (
            "/zones/{zone_id}/dns_records/import",
            "post",
            false,
            &["dns_records", "import"],
            "create",
        ),
    ];
    for (path, verb, array, resource, method) in table {
        let p = place(&PathTemplate::parse(path), verb, *array);
        assert_eq!(p.resource, *resource, "{verb} {path}");
        assert_eq!(&p.method, method, "{verb} {path}");
    }
}

#[test]
fn singular_table() {
    for (plural, one) in [
        ("bulk_operations", "bulk_operation"),
        ("lists", "list"),
        ("items", "item"),
        ("entries", "entry"),
        ("addresses", "address"),
        ("status", "status"),
        ("dns", "dns"),
        ("boxes", "box"),
        ("s", "s"),
        ("timeseries", "timeseries"),
        ("timeseries_groups", "timeseries_group"),
    ] {
        assert_eq!(singular(plural), one);
    }
}
