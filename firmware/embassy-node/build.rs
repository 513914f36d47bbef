//! The same build-time configuration and link set-up as mps2-node (see that crate's build.rs for the
//! variables); the default metric prefix here is `sensors.<board>-embassy`.

#[path = "../mps2-node/build.rs"]
mod mps2_build;

fn main() {
    mps2_build::main();
}
