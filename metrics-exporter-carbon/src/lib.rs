#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod exporter;
mod naming;
mod recorder;

pub use builder::{BuildError, CarbonBuilder, CarbonHandleParts};
pub use carbon_sender::tokio_sender::{Roots, ShutdownReport, TlsConfig};
#[doc(hidden)]
pub use exporter::bench_flush;
pub use exporter::{CarbonHandle, ExporterFuture};
pub use naming::{sanitize_name, LabelMapping};
pub use recorder::CarbonRecorder;
