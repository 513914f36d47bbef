//! Module-wide state, one cell per owner: each module that keeps state across calls declares its own with
//! [`global!`](crate::global), and no other module reaches into it (`global` knows none of them, so it
//! closes no import circle).
//!
//! In the shipped module (wasm32 without the `atomics` feature) there is exactly one thread, so a plain
//! `RefCell` in a static is enough and costs no thread-local machinery. Host builds (lints, native unit
//! tests) use a thread-local instead.

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!(
    "the module keeps global state in a RefCell: build it without the `atomics` target feature"
);

/// A `RefCell` that may live in a static because the module runs one thread.
#[cfg(target_arch = "wasm32")]
pub(crate) struct SingleThreaded<T>(pub core::cell::RefCell<T>);

// SAFETY: wasm32 without the `atomics` target feature (refused above) runs one thread only.
#[cfg(target_arch = "wasm32")]
unsafe impl<T> Sync for SingleThreaded<T> {}

#[cfg(target_arch = "wasm32")]
impl<T> SingleThreaded<T> {
    pub const fn new(value: T) -> Self {
        SingleThreaded(core::cell::RefCell::new(value))
    }
}

/// `global!(fn with_x: T = init;)` declares a module's state and `with_x(|x: &mut T| ...)`, which runs a
/// closure with it (never re-entered: the closure only reads or writes the value).
macro_rules! global {
    ($(#[$meta:meta])* $vis:vis fn $with:ident: $ty:ty = $init:expr;) => {
        $(#[$meta])*
        $vis fn $with<R>(f: impl FnOnce(&mut $ty) -> R) -> R {
            #[cfg(target_arch = "wasm32")]
            {
                static CELL: $crate::global::SingleThreaded<$ty> =
                    $crate::global::SingleThreaded::new($init);
                f(&mut CELL.0.borrow_mut())
            }
            #[cfg(not(target_arch = "wasm32"))]
            {
                std::thread_local! {
                    static CELL: core::cell::RefCell<$ty> = const { core::cell::RefCell::new($init) };
                }
                CELL.with(|c| f(&mut c.borrow_mut()))
            }
        }
    };
}
pub(crate) use global;
