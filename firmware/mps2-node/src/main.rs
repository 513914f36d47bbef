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
#[cfg(feature = "tls")]
mod tls;

use carbon_sender::{Sender, Stats};
use cortex_m_rt::{entry, exception, ExceptionFrame};
use defmt_semihosting as _;
use embedded_nal::TcpClientStack;
use mps2_board as board;
use mps2_board::stack_probe::{Part, StackProbe};
use panic_probe as _;

/// Build-time configuration (see build.rs).
mod config {
    include!(concat!(env!("OUT_DIR"), "/config.rs"));
}

type NodeSender<S> = Sender<'static, S, &'static str, { node::QUEUE }>;

/// The stack the sender runs over: plain TCP ([`net::Stack`]) or TLS over it
/// (`carbon_sender::tls::TlsStack`, feature `tls`), plus the poll that lets it move packets.
trait NodeStack: TcpClientStack {
    /// smoltcp and the driver.
    fn poll_network(&mut self);
    /// The TLS task (handshake, records); nothing for plain TCP.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    fn poll_tls(&mut self) {}
}

impl NodeStack for net::Stack {
    fn poll_network(&mut self) {
        self.poll()
    }
}

#[cfg(feature = "tls")]
impl NodeStack for carbon_sender::tls::TlsStack<'_, net::Stack> {
    fn poll_network(&mut self) {
        self.with_inner(|s| s.poll());
    }
    fn poll_tls(&mut self) {
        self.poll();
    }
}

defmt::timestamp!("{=u32:ms}", clock::now_ms());

/// Keeps the network and the sender going until `done` says stop; sleeps between SysTicks.
///
/// Polls before asking `done`, so that when the clock jumps (QEMU descheduled on a busy host) everything
/// that fell due is handled before the caller moves on: the log keeps its order.
fn run_until<S: NodeStack>(
    stack: &mut S,
    sender: &mut NodeSender<S>,
    probe: &mut StackProbe,
    mut done: impl FnMut(&NodeSender<S>, u32) -> bool,
) {
    loop {
        let now = clock::now_ms();
        probe.measure(Part::Network, || stack.poll_network());
        probe.measure(Part::Sender, || sender.poll(stack, u64::from(now)));
        #[cfg(feature = "tls")]
        probe.measure(Part::Tls, || stack.poll_tls());
        probe.measure(Part::Network, || stack.poll_network());
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
    #[cfg_attr(feature = "tls", allow(unused_mut))]
    let (mut stack, id) = match net::up(&settings) {
        Ok(up) => up,
        Err(e) => {
            defmt::error!("no Ethernet controller: {}", e);
            board::exit(false);
        }
    };
    defmt::info!("LAN9118 id {=u32:#x}, MAC {=[u8]:02x}", id, config::MAC[..]);

    #[cfg(not(feature = "tls"))]
    run_node(&mut stack, &mut probe, epoch);

    #[cfg(feature = "tls")]
    {
        use carbon_sender::tls::{self as ctls, Link, Settings, TlsStack};
        use core::cell::RefCell;

        tls::Clock::set_boot_epoch(epoch);
        let Some(mut rng) = tls::rng() else {
            defmt::error!("no entropy to seed the TLS random generator");
            board::exit(false);
        };
        let (read, write) = tls::records();
        defmt::info!(
            "TLS 1.3 to {=str}: CA compiled in ({} bytes DER), record buffers {} B read, {} B write",
            tls::SERVER_NAME,
            tls::CA_DER.len(),
            read.len(),
            write.len()
        );
        let link = RefCell::new(Link::new(stack));
        let settings = Settings::new(tls::SERVER_NAME, tls::CA_DER);
        let task = core::pin::pin!(ctls::run::<_, _, tls::Clock>(
            &link, read, write, settings, &mut rng
        ));
        let mut stack = TlsStack::new(&link, task);
        run_node(&mut stack, &mut probe, epoch);
    }
}

/// The node's life once the network is up: sample, send, flush, report, exit.
#[inline(always)]
fn run_node<S: NodeStack>(stack: &mut S, probe: &mut StackProbe, epoch: u32) -> ! {
    let mut sender: NodeSender<S> = match Sender::new(node::sender_config()) {
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
        core::mem::size_of::<NodeSender<S>>()
    );
    let transport = if cfg!(feature = "tls") { "tls" } else { "tcp" };
    let tagged = node::tagged_series("mps2-node", transport);

    let interval_ms = config::INTERVAL_S * 1_000;
    for i in 0..config::INTERVALS {
        let due = i * interval_ms;
        run_until(stack, &mut sender, probe, |_, now| now >= due);
        let stats = sender.stats();
        node::sample(
            i,
            epoch,
            &stats,
            clock::now_ms(),
            tagged,
            |metric, timestamp, value| {
                let _ = sender.push(metric, timestamp, value);
            },
        );
        let next = due + interval_ms;
        run_until(stack, &mut sender, probe, |s, now| {
            s.is_flushed() || now >= next
        });
    }

    let deadline = clock::now_ms() + node::FLUSH_TIMEOUT_MS;
    run_until(stack, &mut sender, probe, |s, now| {
        s.is_flushed() || now >= deadline
    });
    sender.close(stack);
    let linger = clock::now_ms() + 200;
    run_until(stack, &mut sender, probe, |_, now| now >= linger);

    let stats: Stats = sender.stats();
    node::log_tagged(tagged);
    node::log_counters(&stats);
    node::log_stack(
        probe.deepest(Part::Sender),
        probe.deepest(Part::Network),
        probe.high_water(),
    );
    #[cfg(feature = "tls")]
    defmt::info!(
        "TLS task: stack high-water {} bytes in its own poll (it also runs inside the sender's poll)",
        probe.deepest(Part::Tls)
    );
    let ok = node::verdict(&stats, sender.is_flushed());
    board::exit(ok)
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    // panic-probe ends a panic here too: make it QEMU's exit status.
    board::exit(false)
}
