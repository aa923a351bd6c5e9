// A match over every value of an enum: a new value would break it.
fn main() {
    let color: evolution::types::Color = serde_json::from_str(r#""red""#).unwrap();
    match color {
        evolution::types::Color::Red => {}
        evolution::types::Color::Green => {}
        evolution::types::Color::Unknown(_) => {}
    }
}
