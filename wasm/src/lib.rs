//! The wasm half of the npm package `carbon-pickle`.
//!
//! JavaScript writes columns of plain data (the paths as UTF-8 with their lengths, timestamps, values) straight
//! into the module's batch buffers and gets back one buffer holding every finished frame back to back, which
//! it copies out once. Every byte of every frame is written by the Rust core (`carbon_pickle::FrameEncoder`); the package's
//! JavaScript only moves data across the boundary, cuts the buffer into frames by their length headers and
//! turns failures into `TypeError`/`RangeError`.
//!
//! Why columns and one buffer: a call across the JS/wasm boundary and every string conversion cost more than
//! encoding a datapoint, so the API is shaped to cross once per batch, not once per datapoint. Interned paths
//! (`MetricSet`, [`Encoder::register`]) go further: the paths cross once, and each flush moves only numbers.
//!
//! Only numbers cross the boundary (and a path for a single push): no `Vec` is passed or returned, so the
//! glue stays small and nothing is allocated per call. Failures do not throw across the boundary: a call
//! that refuses a datapoint keeps what it encoded before it and leaves the reason in [`last_failure`],
//! so the JavaScript side can throw an error that carries the frames already made.

#![cfg_attr(all(target_arch = "wasm32", feature = "standalone"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

// First: the other modules declare their state with its macro.
mod global;

mod batch;
mod buf;
mod encoder;
mod failure;
mod framer;
mod input;
#[cfg(feature = "inspect")]
mod inspect;
#[cfg(feature = "lines")]
mod lines;
mod options;
mod output;
mod recent;
#[cfg(feature = "route")]
mod router;
mod table;
#[cfg(test)]
mod tests;

pub use batch::batch_reserve;
pub use encoder::{Control, Encoder};
pub use failure::{last_failure, FailureCode, InputFault, PathFault, RouteFault};
#[cfg(test)]
use failure::{last_failure_code, last_failure_detail, last_failure_index};
#[cfg(feature = "inspect")]
pub use inspect::InspectStream;
#[cfg(feature = "lines")]
pub use lines::LineParser;
pub use options::has_protocol0;
pub use output::output_layout;
#[cfg(feature = "route")]
pub use router::ClusterRouter;

/// The allocator: talc is smaller and faster than the default dlmalloc in wasm.
#[cfg(all(target_arch = "wasm32", feature = "standalone"))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Without `std` there is no panic machinery to format messages (which would pull `core::fmt` into the
/// module): a panic, which the code avoids by construction, traps.
#[cfg(all(target_arch = "wasm32", feature = "standalone"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
