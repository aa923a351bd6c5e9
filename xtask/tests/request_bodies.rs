//! What a generated request body sends: `readOnly` wherever the spec says it, single-member unions, and
//! required properties the spec does not describe (fixture `request-required-and-read-only.yaml`). The
//! generated crate is compiled with a program that builds each body as a user would.

use std::path::Path;
use std::process::Command;
use xtask::{repo_root, run, Job};

#[test]
fn request_bodies_send_what_the_spec_requires_and_nothing_read_only() {
    let name = "request-required-and-read-only";
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixture-crates")
        .join(name);
    let job = Job {
        spec: Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.yaml")),
        overlays: Vec::new(),
        out: out.clone(),
        check: false,
        operation_tests: None,
        emit: xtask::emit::Options {
            crate_name: format!("fixture-{name}"),
            standalone: true,
            command: format!(
                "cargo xtask codegen --spec xtask/tests/fixtures/{name}.yaml --out DIR"
            ),
            spec_label: format!("xtask/tests/fixtures/{name}.yaml"),
        },
    };
    run(&job).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    std::fs::copy(repo_root().join("Cargo.lock"), out.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(out.join("tests")).unwrap();
    // Each body built from its required fields only: no `id` (readOnly through `allOf`), `versions` kept
    // from the one-member `oneOf`, the undescribed `id` of the limits body required as JSON, and the
    // one-member `oneOf` action a struct. The JSON sent is compared with what the spec asks for.
    let program = r#"
use fixture_request_required_and_read_only::deployments::{DeploymentCreateBody, DeploymentCreateBodyStrategy};
use fixture_request_required_and_read_only::limits::LimitUpdateBody;
use fixture_request_required_and_read_only::rulesets::RulesetCreateBody;
use fixture_request_required_and_read_only::types::AppAction;

#[test]
fn bodies() {
    let ruleset = RulesetCreateBody::new("my rules", "zone");
    assert_eq!(
        serde_json::to_value(&ruleset).unwrap(),
        serde_json::json!({"name": "my rules", "kind": "zone"})
    );
    let deployment = DeploymentCreateBody::new(DeploymentCreateBodyStrategy::Percentage, vec!["v1".to_owned()]);
    assert_eq!(
        serde_json::to_value(&deployment).unwrap(),
        serde_json::json!({"strategy": "percentage", "versions": ["v1"]})
    );
    let limit = LimitUpdateBody::new(60, serde_json::json!("rl-1"))
        .with_action(AppAction::new().with_mode("simulate"));
    assert_eq!(
        serde_json::to_value(&limit).unwrap(),
        serde_json::json!({"id": "rl-1", "threshold": 60, "action": {"mode": "simulate"}})
    );
}
"#;
    std::fs::write(out.join("tests/bodies.rs"), program).unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target");
    let o = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "--all-features", "--test", "bodies"])
        .current_dir(&out)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}:\n{}\n{}",
        out.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
