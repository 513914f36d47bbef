//! Module-wide state: the last failure and the interned prefixes.
//!
//! In the shipped module (wasm32 without the `atomics` feature) there is exactly one thread, so a plain
//! `RefCell` in a static is enough and costs no thread-local machinery. Host builds (lints, native unit
//! tests) use a thread-local instead.

use alloc::vec::Vec;
use core::cell::RefCell;

use crate::batch::Batch;
use crate::failure::Failure;

#[derive(Debug)]
pub(crate) struct State {
    pub last: Option<Failure>,
    pub prefixes: Vec<&'static str>,
    pub batch: Batch,
    pub counts: Vec<u32>,
    /// The current output: frames back to back (see `output`).
    pub out: Vec<u8>,
    /// An emptied output buffer, for the next batch to fill.
    pub spare: Vec<u8>,
}

const EMPTY: State = State {
    last: None,
    prefixes: Vec::new(),
    batch: Batch {
        text: Vec::new(),
        lens: Vec::new(),
        timestamps: Vec::new(),
        values: Vec::new(),
    },
    counts: Vec::new(),
    out: Vec::new(),
    spare: Vec::new(),
};

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!(
    "the module keeps global state in a RefCell: build it without the `atomics` target feature"
);

#[cfg(target_arch = "wasm32")]
struct SingleThreaded(RefCell<State>);

// SAFETY: wasm32 without the `atomics` target feature (refused above) runs one thread only.
#[cfg(target_arch = "wasm32")]
unsafe impl Sync for SingleThreaded {}

#[cfg(target_arch = "wasm32")]
static STATE: SingleThreaded = SingleThreaded(RefCell::new(EMPTY));

#[cfg(not(target_arch = "wasm32"))]
std::thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(EMPTY) };
}

/// Runs `f` with the state (never re-entered: `f` only reads or writes fields).
pub(crate) fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    #[cfg(target_arch = "wasm32")]
    {
        f(&mut STATE.0.borrow_mut())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        STATE.with(|s| f(&mut s.borrow_mut()))
    }
}
