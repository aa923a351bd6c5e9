//! Peak heap memory of in-process generation (`xtask::generate`), per spec size (not a criterion bench: it
//! prints one table). A counting global allocator tracks live heap bytes; for each input the high-water mark
//! above the live bytes before the call is its peak. Inputs as in the `generate` bench, whole-document-sized
//! ones included.
//!
//! BENCHMARKS.md has the numbers. Run alone: `cargo bench -p xtask --bench generation_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "support/specs.rs"]
mod specs;

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[path = "../../tests/benches/support/criterion_results.rs"]
mod criterion_results;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mib(bytes: f64) -> String {
    format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
}

fn main() {
    // `cargo bench` passes `--bench` and criterion's options; a filter naming another bench skips this one.
    if criterion_results::filtered_out("generation_memory") {
        return;
    }
    let dir = specs::scratch_dir();
    let mut inputs = specs::inputs(&dir);
    inputs.extend(specs::whole_documents(&dir));
    println!("\n| spec | operations | types | spec file | peak heap | per operation | per operation vs x1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut base = None;
    for input in &inputs {
        let job = input.job();
        let spec_bytes = std::fs::metadata(&input.path).map_or(0, |m| m.len());
        let start = LIVE.load(Ordering::Relaxed);
        PEAK.store(start, Ordering::Relaxed);
        let (files, api) = xtask::generate(&job).expect("generate");
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(start) as f64;
        let operations = api.operations.len();
        let types = api.types.len();
        drop((files, api));
        let per_op = peak / operations as f64;
        if input.copies == Some(1) {
            base = Some(per_op);
        }
        println!(
            "| {} | {operations} | {types} | {:.0} KiB | {} | {:.0} KiB | {} |",
            input.label,
            spec_bytes as f64 / 1024.0,
            mib(peak),
            per_op / 1024.0,
            base.map_or("-".to_owned(), |b| format!("{:.2}x", per_op / b)),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
