//! The smallest program that uses the protocol-2 encoder: validate, push and finish a frame into a slice.
#![no_std]

use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};

/// Encodes `points` into `buf` as one frame; returns its length, or 0 if refused.
#[no_mangle]
pub fn carbon_pickle_probe(buf: &mut [u8], points: &[Datapoint<'_>]) -> usize {
    let Ok(mut enc) = FrameEncoder::new(SliceSink::new(buf), Options::new()) else {
        return 0;
    };
    for dp in points {
        if enc.push(dp).is_err() {
            return 0;
        }
    }
    enc.finish().into_written().len()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
