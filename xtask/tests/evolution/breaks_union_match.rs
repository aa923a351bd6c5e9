// A match over every variant of a union: a new variant would break it.
fn main() {
    let shape: evolution::types::Shape = serde_json::from_str(r#"{"kind": "square", "side": 1}"#).unwrap();
    match shape {
        evolution::types::Shape::Circle(_) => {}
        evolution::types::Shape::Square(_) => {}
        evolution::types::Shape::Unknown(_) => {}
    }
}
