//! Stage 4: bring a directory in line with the generated files, or (check mode) report how it differs.
//! Writes are all-or-nothing: every file goes to a temporary sibling first and is renamed into place
//! only when all of them were written.

use crate::emit::File;
use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct Sync {
    /// Files written (or, in check mode, that would be).
    pub changed: Vec<String>,
    /// Generated files no longer produced: deleted (or, in check mode, that would be).
    pub removed: Vec<String>,
    pub unchanged: usize,
}

pub fn sync(dir: &Path, files: &[File], check: bool, remake: &str) -> Result<Sync> {
    let mut plan = Sync::default();
    for file in files {
        let target = dir.join(&file.path);
        match std::fs::read_to_string(&target) {
            Ok(existing) if existing == file.contents => plan.unchanged += 1,
            _ => plan.changed.push(file.path.clone()),
        }
    }
    let produced: BTreeSet<&Path> = files.iter().map(|f| Path::new(&f.path)).collect();
    for orphan in generated_files(dir)? {
        if !produced.contains(orphan.as_path()) {
            plan.removed
                .push(orphan.to_string_lossy().replace('\\', "/"));
        }
    }
    if check {
        if !plan.changed.is_empty() || !plan.removed.is_empty() {
            let mut lines = Vec::new();
            lines.extend(
                plan.changed
                    .iter()
                    .map(|f| format!("  stale:    {}", dir.join(f).display())),
            );
            lines.extend(
                plan.removed
                    .iter()
                    .map(|f| format!("  orphaned: {}", dir.join(f).display())),
            );
            bail!("generated code is out of date with the spec:\n{}\nrun `{remake}` and commit the result", lines.join("\n"));
        }
        return Ok(plan);
    }
    write_all(dir, files, &plan)?;
    Ok(plan)
}

fn write_all(dir: &Path, files: &[File], plan: &Sync) -> Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let changed: BTreeSet<&str> = plan.changed.iter().map(String::as_str).collect();
    let staging = (|| -> Result<()> {
        for file in files.iter().filter(|f| changed.contains(f.path.as_str())) {
            let target = dir.join(&file.path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let temp = target.with_extension("codegen-tmp");
            std::fs::write(&temp, &file.contents)
                .with_context(|| format!("cannot write {}", temp.display()))?;
            staged.push((temp, target));
        }
        Ok(())
    })();
    if let Err(e) = staging {
        for (temp, _) in &staged {
            let _ = std::fs::remove_file(temp);
        }
        return Err(e.context("nothing was changed"));
    }
    for (temp, target) in &staged {
        std::fs::rename(temp, target)
            .with_context(|| format!("cannot move {} into place", target.display()))?;
    }
    for orphan in &plan.removed {
        let path = dir.join(orphan);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        remove_empty_parents(dir, &path);
    }
    Ok(())
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut current = file.parent();
    while let Some(dir) = current {
        if dir == root || std::fs::remove_dir(dir).is_err() {
            break;
        }
        current = dir.parent();
    }
}

/// Files below `dir` (its `Cargo.toml` and everything in `src/`) whose first line says they are generated.
fn generated_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.join("src")];
    let mut candidates = vec![dir.join("Cargo.toml")];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot list {}", folder.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                candidates.push(path);
            }
        }
    }
    for path in candidates {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if text
            .lines()
            .next()
            .is_some_and(|l| l.contains("@generated"))
        {
            if let Ok(relative) = path.strip_prefix(dir) {
                out.push(relative.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}
