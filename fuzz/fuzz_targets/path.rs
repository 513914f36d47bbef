//! The path check's fast passes answer exactly as the byte loop on any bytes: the 8-byte SWAR words and the
//! 16-byte vector blocks (the crate's one `unsafe` module, `core/src/path/simd.rs`), and the whole check
//! equals the exact pass on any string. Run under AddressSanitizer (`scripts/test-fuzz.sh`), so a vector
//! load that read past the path would be caught too.
#![no_main]

use carbon_pickle::{fuzz_quick_passes, PathRules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &[u8])| {
    let (flags, bytes) = input;
    let rules = PathRules::new()
        .with_spaces(flags & 1 != 0)
        .with_ascii_only(flags & 2 != 0);
    let (byte_loop, wide, vector, agrees) = fuzz_quick_passes(bytes, rules, flags & 4 != 0);
    if let Some(wide) = wide {
        assert_eq!(wide, byte_loop, "SWAR pass on {bytes:?} under {rules:?}");
    }
    if let Some(vector) = vector {
        assert_eq!(vector, byte_loop, "vector pass on {bytes:?} under {rules:?}");
    }
    assert!(agrees, "check_path differs from the exact pass on {bytes:?} under {rules:?}");
});
