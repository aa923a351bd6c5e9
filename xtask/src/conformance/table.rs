//! The summary table: one row per spec, plain text, columns aligned, numbers to the right.

/// How many examples ended each way.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Decoded and encoded back to the same JSON.
    pub ok: usize,
    /// Contradict their own schema (reported with the reason; never a failure of the generator).
    pub invalid: usize,
    /// Came back without members their schema does not declare.
    pub lossy: usize,
    /// Valid, but did not come back the same (or did not decode).
    pub failed: usize,
    /// Component examples whose schema has no generated type: validated only.
    pub untyped: usize,
    /// Request/response examples with no generated type to decode into: validated only.
    pub unmapped: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Fail,
    /// Not attempted: an earlier spec failed and `--keep-going` was not given.
    NotRun,
}

#[derive(Debug, Clone)]
pub struct Row {
    /// The spec's file name.
    pub spec: String,
    pub operations: Option<usize>,
    pub schemas: Option<usize>,
    pub lines: Option<usize>,
    pub generate_ms: Option<f64>,
    pub check_s: Option<f64>,
    pub clippy: Option<bool>,
    pub examples: Option<Counts>,
    pub warnings: Option<usize>,
    pub verdict: Verdict,
}

impl Row {
    pub fn new(spec: String) -> Self {
        Row {
            spec,
            operations: None,
            schemas: None,
            lines: None,
            generate_ms: None,
            check_s: None,
            clippy: None,
            examples: None,
            warnings: None,
            verdict: Verdict::Ok,
        }
    }
}

const HEADER: &[&str] = &[
    "spec",
    "ops",
    "schemas",
    "lines",
    "lines/op",
    "gen ms",
    "check s",
    "clippy",
    "examples ok/invalid/lossy/failed",
    "untyped",
    "unmapped",
    "warnings",
    "result",
];

const LEGEND: &str = "\
ops, schemas: operations and types in the generated model. lines: generated Rust lines (the copied runtime
not counted). gen ms: load + lower + emit in process (no writing, no cargo). check s: `cargo check
--all-targets` of the generated crate alone: a first check builds the dependencies, then src/lib.rs is
touched and the check is timed. untyped: component examples whose schema has no generated type; unmapped:
request/response examples with no generated type to decode into (error responses, request bodies); both
are validated against their schema only. lossy: only members the schema does not declare were dropped.";

fn cell<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn cells(row: &Row) -> Vec<String> {
    let per_op = match (row.lines, row.operations) {
        (Some(lines), Some(ops)) if ops > 0 => format!("{}", lines / ops),
        _ => "-".to_owned(),
    };
    vec![
        row.spec.clone(),
        cell(row.operations),
        cell(row.schemas),
        cell(row.lines),
        per_op,
        cell(row.generate_ms.map(|ms| format!("{ms:.1}"))),
        cell(row.check_s.map(|s| format!("{s:.1}"))),
        cell(row.clippy.map(|ok| if ok { "ok" } else { "FAIL" })),
        cell(
            row.examples
                .map(|c| format!("{}/{}/{}/{}", c.ok, c.invalid, c.lossy, c.failed)),
        ),
        cell(row.examples.map(|c| c.untyped)),
        cell(row.examples.map(|c| c.unmapped)),
        cell(row.warnings),
        match row.verdict {
            Verdict::Ok => "ok",
            Verdict::Fail => "FAIL",
            Verdict::NotRun => "not run",
        }
        .to_owned(),
    ]
}

/// The table with its legend; the spec name and the result are left-aligned, the rest right-aligned.
pub fn render(rows: &[Row]) -> String {
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADER.iter().map(|h| h.chars().count()).collect();
    for cells in &body {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            if i == 0 || i == last {
                text.push_str(&format!("{cell:<width$}"));
            } else {
                text.push_str(&format!("{cell:>width$}"));
            }
        }
        text.trim_end().to_owned()
    };
    let header: Vec<String> = HEADER.iter().map(|h| (*h).to_owned()).collect();
    let mut out = line(&header);
    out.push('\n');
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    out.push_str(&"-".repeat(total));
    out.push('\n');
    for cells in &body {
        out.push_str(&line(cells));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(LEGEND);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut good = Row::new("a.yaml".to_owned());
        good.operations = Some(2);
        good.schemas = Some(10);
        good.lines = Some(1001);
        good.generate_ms = Some(3.25);
        good.check_s = Some(1.5);
        good.clippy = Some(true);
        good.examples = Some(Counts {
            ok: 3,
            invalid: 1,
            ..Counts::default()
        });
        good.warnings = Some(0);
        let mut bad = Row::new("a-much-longer-name.json".to_owned());
        bad.verdict = Verdict::Fail;
        let text = render(&[good, bad]);
        let lines: Vec<&str> = text.lines().collect();
        let words = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            words(lines[2]),
            [
                "a.yaml", "2", "10", "1001", "500", "3.2", "1.5", "ok", "3/1/0/0", "0", "0", "0",
                "ok"
            ],
            "{text}"
        );
        assert_eq!(
            words(lines[3]),
            [
                "a-much-longer-name.json",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "FAIL"
            ],
            "{text}"
        );
        // Numbers end where their header ends; the result starts where its header starts.
        let end = |l: &str, word: &str| l.find(word).map(|i| i + word.len());
        assert_eq!(end(lines[0], "lines/op"), end(lines[2], "500"), "{text}");
        assert_eq!(end(lines[0], "failed"), end(lines[2], "3/1/0/0"), "{text}");
        assert_eq!(lines[0].rfind("result"), lines[2].rfind("ok"), "{text}");
        assert_eq!(lines[0].rfind("result"), lines[3].rfind("FAIL"), "{text}");
    }
}
