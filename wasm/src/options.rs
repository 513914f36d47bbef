//! Frame options from JavaScript's plain values, with the prefix kept for the encoder's lifetime.
//!
//! The core's `Options` borrows its prefix. A wasm object cannot hold a borrow of its own field, so each
//! distinct prefix is stored once for the life of the module (interned): memory grows with the number of
//! different prefixes used, not with the number of encoders made.

use alloc::boxed::Box;
use alloc::vec::Vec;

use carbon_pickle::{Options, PathRules, Protocol};

use crate::failure::{Failure, FailureCode};

crate::global::global! {
    /// Every distinct prefix used so far.
    fn with_prefixes: Vec<&'static str> = Vec::new();
}

fn intern(prefix: &str) -> &'static str {
    with_prefixes(|prefixes| {
        if let Some(&s) = prefixes.iter().find(|&&s| s == prefix) {
            return s;
        }
        let s: &'static str = Box::leak(prefix.into());
        prefixes.push(s);
        s
    })
}

/// Whether this module encodes protocol 0 (cargo feature `protocol0`); the JavaScript sends protocol 0 to a
/// module that does when this one does not.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = hasProtocol0)]
pub fn has_protocol0() -> bool {
    cfg!(feature = "protocol0")
}

/// Builds and checks options. `protocol` is 0 or 2; limits as in the core.
pub(crate) fn build(
    protocol: u8,
    prefix: Option<&str>,
    max_bytes: u32,
    max_points: u32,
    allow_spaces: bool,
    ascii_only: bool,
) -> Result<Options<'static>, Failure> {
    let protocol = match protocol {
        0 => Protocol::V0,
        2 => Protocol::V2,
        _ => {
            return Err(Failure {
                code: FailureCode::InvalidOptions,
                index: -1,
                detail: [0; 4],
            })
        }
    };
    let opts = Options::new()
        .with_protocol(protocol)
        .with_max_bytes(max_bytes as usize)
        .with_max_points(max_points as usize)
        .with_path_rules(
            PathRules::new()
                .with_spaces(allow_spaces)
                .with_ascii_only(ascii_only),
        );
    // Checked once, before interning the prefix, so that refused prefixes take no memory.
    match prefix {
        Some(p) => {
            opts.with_prefix(p).validate().map_err(Failure::options)?;
            Ok(opts.with_prefix(intern(p)))
        }
        None => opts.validate().map(|()| opts).map_err(Failure::options),
    }
}
