//! A sensor node on QEMU's MPS2 AN386 (Cortex-M4F) or AN385 (Cortex-M3) board.
//!
//! Every interval it samples its "sensors" (a deterministic simulated temperature/humidity series, plus its
//! uptime, the sender's queue depth and reconnect count), queues them in a [`carbon_sender::Sender`] and
//! keeps the network going until they are delivered to carbon over TCP (smoltcp on the board's LAN9118).
//! After the configured number of intervals it flushes, reports its counters and stack use over defmt,
//! and exits through semihosting: status 0 only if every datapoint was delivered.
//!
//! Board specifics live in the `mps2-board` crate (shared with `embassy-node`); the network stack in [`net`]; settings come from the build
//! (`build.rs`).
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

mod clock;
mod net;
mod node;

use carbon_sender::{Sender, Stats};
use cortex_m_rt::{entry, exception, ExceptionFrame};
use defmt_semihosting as _;
use mps2_board as board;
use mps2_board::stack_probe::{Part, StackProbe};
use panic_probe as _;
use sensor_node::Live;

/// Build-time configuration (see build.rs).
mod config {
    include!(concat!(env!("OUT_DIR"), "/config.rs"));
}

type NodeSender = Sender<'static, net::Stack, &'static str, { node::QUEUE }>;

defmt::timestamp!("{=u32:ms}", clock::now_ms());

/// Keeps the network and the sender going until `done` says stop; sleeps between SysTicks.
///
/// Polls before asking `done`, so that when the clock jumps (QEMU descheduled on a busy host) everything
/// that fell due is handled before the caller moves on: the log keeps its order.
fn run_until(
    stack: &mut net::Stack,
    sender: &mut NodeSender,
    probe: &mut StackProbe,
    mut done: impl FnMut(&NodeSender, u32) -> bool,
) {
    loop {
        let now = clock::now_ms();
        probe.measure(Part::Network, || stack.poll());
        probe.measure(Part::Sender, || sender.poll(stack, u64::from(now)));
        probe.measure(Part::Network, || stack.poll());
        if done(sender, now) {
            return;
        }
        cortex_m::asm::wfi();
    }
}

#[entry]
fn main() -> ! {
    let mut probe = StackProbe::new();
    let cp = cortex_m::Peripherals::take().unwrap();
    clock::start(cp.SYST, board::SYSCLK_HZ);

    node::log_banner("");
    let epoch = board::host_epoch();
    defmt::info!("boot time {} (host clock)", epoch);

    let settings = net::Settings {
        mac: config::MAC,
        ip: config::IP,
        prefix_len: config::PREFIX_LEN,
        gateway: config::GATEWAY,
    };
    let (mut stack, id) = match net::up(&settings) {
        Ok(up) => up,
        Err(e) => {
            defmt::error!("no Ethernet controller: {}", e);
            board::exit(false);
        }
    };
    defmt::info!("LAN9118 id {=u32:#x}, MAC {=[u8]:02x}", id, config::MAC[..]);

    let mut sender: NodeSender = match Sender::new(node::sender_config()) {
        Ok(s) => s,
        Err(e) => {
            defmt::error!("bad sender configuration: {}", e);
            board::exit(false);
        }
    };
    defmt::info!(
        "sender: queue of {} datapoints, prefix {=str}, {} bytes of RAM",
        sender.capacity(),
        config::PREFIX,
        core::mem::size_of::<NodeSender>()
    );

    let interval_ms = config::INTERVAL_S * 1_000;
    for i in 0..config::INTERVALS {
        let due = i * interval_ms;
        run_until(&mut stack, &mut sender, &mut probe, |_, now| now >= due);
        let stats = sender.stats();
        let live = Live {
            uptime_ms: clock::now_ms(),
            queue_depth: stats.queued as u32,
            reconnects: stats.failures,
        };
        node::sample(i, epoch, live, |metric, timestamp, value| {
            let _ = sender.push(metric, timestamp, value);
        });
        let next = due + interval_ms;
        run_until(&mut stack, &mut sender, &mut probe, |s, now| {
            s.is_flushed() || now >= next
        });
    }

    let deadline = clock::now_ms() + node::FLUSH_TIMEOUT_MS;
    run_until(&mut stack, &mut sender, &mut probe, |s, now| {
        s.is_flushed() || now >= deadline
    });
    sender.close(&mut stack);
    let linger = clock::now_ms() + 200;
    run_until(&mut stack, &mut sender, &mut probe, |_, now| now >= linger);

    let stats: Stats = sender.stats();
    node::log_counters(&stats);
    node::log_stack(
        probe.deepest(Part::Sender),
        probe.deepest(Part::Network),
        probe.high_water(),
    );
    let ok = node::verdict(&stats, sender.is_flushed());
    board::exit(ok)
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    // panic-probe ends a panic here too: make it QEMU's exit status.
    board::exit(false)
}
