//! Logging macros that go to defmt (firmware), to the `log` facade (host), or nowhere.
//!
//! The format strings use only `{}` and `{:?}`, which both defmt and `core::fmt` understand, so every
//! message is written once. Without either feature the arguments are still type-checked, then discarded.

macro_rules! log_at {
    ($defmt:ident, $log:ident, $($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::$defmt!($($arg)*);
        #[cfg(feature = "log")]
        ::log::$log!($($arg)*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        {
            let _ = ::core::format_args!($($arg)*);
        }
    }};
}

macro_rules! debug {
    ($($arg:tt)*) => { log_at!(debug, debug, $($arg)*) };
}

macro_rules! info {
    ($($arg:tt)*) => { log_at!(info, info, $($arg)*) };
}

macro_rules! warn {
    ($($arg:tt)*) => { log_at!(warn, warn, $($arg)*) };
}

macro_rules! error {
    ($($arg:tt)*) => { log_at!(error, error, $($arg)*) };
}
