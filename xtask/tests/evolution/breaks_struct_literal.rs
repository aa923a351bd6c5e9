// A struct literal of a request body: a new optional field would break it.
fn main() {
    let _ = evolution::types::NewWidget { name: "w".into(), size: None, color: None, shape: None };
}
