// A pattern naming every field of a response: a new optional field would break it.
fn name(widget: &evolution::types::Widget) -> &str {
    let evolution::types::Widget { name, id: _, size: _, color: _, shape: _ } = widget;
    name
}
fn main() {
    let _ = name;
}
