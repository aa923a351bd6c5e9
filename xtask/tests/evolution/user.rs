// A program written against the crate generated from `tests/data/evolution.yaml`: it must compile, unchanged,
// against the crate generated with `evolution-additions.overlay.yaml` applied too.
use evolution::types::{Circle, CircleKind, Color, NewWidget, Shape, Widget};
use evolution::widgets::{WidgetCreateParams, WidgetGetParams, WidgetUpdateParams};

fn describe(widget: &Widget) -> String {
    let shape = match &widget.shape {
        Some(Shape::Circle(circle)) => format!("a circle of radius {}", circle.radius),
        Some(Shape::Square(square)) => format!("a square of side {}", square.side),
        Some(Shape::Unknown(raw)) => format!("a shape sent as {raw}"),
        Some(_) => "a shape this program does not know".to_owned(),
        None => "no shape".to_owned(),
    };
    let color = match &widget.color {
        Color::Red => "red",
        Color::Green => "green",
        _ => "another color",
    };
    let Widget { name, size, .. } = widget;
    format!("{name} ({size:?}): {color}, {shape}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = evolution::Client::builder()
        .api_token("token")
        .base_url("http://127.0.0.1:9")
        .build()?;
    // One account id for every call, borrowed: no `.clone()`.
    let account_id = String::from("0123456789abcdef0123456789abcdef");
    let body = NewWidget::new("w")
        .with_size(3)
        .with_color(Color::Red)
        .with_shape(Shape::Circle(Circle::new(CircleKind::Circle, 2)));
    let create = client
        .widgets()
        .create(&WidgetCreateParams::new(&account_id, body.clone()));
    let get = client
        .widgets()
        .get("w1", &WidgetGetParams::new(&account_id).with_verbose(true));
    let update = client
        .widgets()
        .update("w1", &WidgetUpdateParams::new(&account_id, body));
    drop((create, get, update));

    // Response values for mocks: built with their constructors, or decoded from JSON.
    let built = Widget::new("w", Color::Green).with_id("w1").with_size(3);
    let decoded: Widget = serde_json::from_str(r#"{"name": "w", "color": "green", "id": "w1", "size": 3}"#)?;
    assert_eq!(built, decoded);
    println!("{}", describe(&built));
    Ok(())
}
