//! The sensor node of `mps2-node`, written as an async application: embassy-executor runs a sampler task
//! and a sender task (plus embassy-net's own task), embassy-net drives the board's LAN9118 through
//! `embassy-net-driver`, and the sender is carbon-sender's [`AsyncSender`], the same queue and delivery
//! rules as the blocking sender behind an awaitable driver.
//!
//! Why it exists: most Rust firmware is async today. Here the sampler never waits for the network: it
//! pushes into the shared queue and sleeps until its next period, whether carbon is reachable or not, and
//! the executor sleeps in `wfi` whenever no task is ready, and the time driver is tickless, so the CPU wakes
//! only for an event (the node logs how often; the tests bound it). After the configured number of samples it waits for delivery (up to 30 s), stops the sender,
//! reports its counters, stack use and idle figures over defmt, and exits through semihosting: status 0
//! only if every datapoint was delivered.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

mod executor;
#[path = "../../mps2-node/src/node.rs"]
mod node;
mod time_driver;
#[cfg(feature = "tls")]
mod tls;

use core::cell::RefCell;
use core::future::{poll_fn, Future};
use core::pin::pin;

use carbon_sender::embassy as carbon;
use carbon_sender::sntp;
use carbon_sender::{AsyncSender, Stats};
use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use critical_section::Mutex;
use defmt_semihosting as _;
use embassy_executor::raw;
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{with_timeout, Duration, Instant, Timer};
use mps2_board::lan9118::{self, Lan9118};
use mps2_board::stack_probe::{Part, StackProbe};
use panic_probe as _;
use static_cell::{ConstStaticCell, StaticCell};

/// Build-time configuration (mps2-node's build.rs, shared).
mod config {
    include!(concat!(env!("OUT_DIR"), "/config.rs"));
}

type NodeSender = carbon::Sender<'static, &'static str, { node::QUEUE }>;

defmt::timestamp!("{=u32:ms}", time_driver::now_ms());

/// Stack painting: set up in `main`, used by the tasks' polls.
static PROBE: Mutex<RefCell<Option<StackProbe>>> = Mutex::new(RefCell::new(None));

/// Runs `fut`, measuring the stack each of its polls uses below the executor's.
async fn measured<F: Future>(part: Part, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        critical_section::with(|cs| match PROBE.borrow_ref_mut(cs).as_mut() {
            Some(probe) => probe.measure(part, || fut.as_mut().poll(cx)),
            None => fut.as_mut().poll(cx),
        })
    })
    .await
}

static SENDER_DONE: Signal<CriticalSectionRawMutex, ()> = Signal::new();

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Lan9118>) -> ! {
    measured(Part::Network, runner.run()).await
}

/// The sender task: carbon-sender's embassy glue (a TCP client on the stack, embassy-time as the clock).
#[cfg(not(feature = "tls"))]
#[embassy_executor::task]
async fn sender_task(sender: &'static NodeSender, stack: Stack<'static>) {
    measured(Part::Sender, carbon::run(sender, stack)).await;
    SENDER_DONE.signal(());
}

/// The sender over TLS 1.3: the same glue with carbon-sender's `TlsConnect` over the TCP client.
#[cfg(feature = "tls")]
#[embassy_executor::task]
async fn sender_task(sender: &'static NodeSender, stack: Stack<'static>) {
    let Some(rng) = tls::rng() else {
        defmt::error!("no entropy to seed the TLS random generator");
        mps2_board::exit(false);
    };
    let (read, write) = tls::records();
    let settings = tls::settings();
    defmt::info!(
        "TLS 1.3 to {=str}: CA compiled in ({} bytes DER), record buffers {} B read, {} B write",
        settings.server_name,
        settings.ca_der.len(),
        read.len(),
        write.len()
    );
    // The certificate's dates are checked against the wall clock: no handshake before it is set.
    sntp::wait().await;
    let run = carbon::run_tls::<_, _, sntp::SntpClock, { node::QUEUE }>(
        sender, stack, settings, rng, read, write,
    );
    measured(Part::Sender, run).await;
    SENDER_DONE.signal(());
}

/// The wall clock: carbon-sender's SNTP client against `NODE_SNTP` (default 10.0.2.100:123, carbon's address,
/// where the tests answer: tests/sntp.py says why not the host alias), refreshed every `NODE_SNTP_REFRESH_S`
/// seconds (default 2, so a QEMU run sees refreshes).
#[embassy_executor::task]
async fn sntp_task(stack: Stack<'static>) -> ! {
    let server = option_env!("NODE_SNTP").unwrap_or("10.0.2.100:123");
    let refresh_s = option_env!("NODE_SNTP_REFRESH_S").unwrap_or("2");
    let (Ok(server), Ok(refresh_s)) = (server.parse(), refresh_s.parse()) else {
        defmt::error!("bad NODE_SNTP or NODE_SNTP_REFRESH_S");
        mps2_board::exit(false);
    };
    sntp::run(stack, server, refresh_s).await
}

/// How long the sampler waits for the first SNTP answer before it starts sampling anyway.
const FIRST_TIME_WAIT_MS: u64 = 1_500;

#[embassy_executor::task]
async fn sampler_task(sender: &'static NodeSender, tagged: Option<&'static str>) {
    let interval_ms = u64::from(config::INTERVAL_S) * 1_000;
    // Samples are stamped with the wall clock (SNTP), so wait a little for it; the period counts from here.
    let _ = with_timeout(Duration::from_millis(FIRST_TIME_WAIT_MS), sntp::wait()).await;
    let start = Instant::now().as_millis();
    // The schedule's Unix time at uptime 0: sample i is stamped epoch + i * interval (the node's series), set
    // from the wall clock at the first sample that has one, and again should SNTP move the clock by more
    // than a second against the schedule.
    let mut epoch: Option<u32> = None;
    for i in 0..config::INTERVALS {
        // The period holds whatever the network does: the sampler only pushes, it never waits on a socket.
        Timer::at(Instant::from_millis(start + u64::from(i) * interval_ms)).await;
        let Some(now) = sntp::now_unix() else {
            defmt::warn!(
                "sample {}: no wall-clock time yet (no SNTP answer): nothing queued",
                i
            );
            continue;
        };
        let due = now.saturating_sub(i * config::INTERVAL_S);
        if epoch.is_none_or(|e| e.abs_diff(due) > 1) {
            epoch = Some(due);
            defmt::info!("boot time {} (SNTP)", due);
        }
        let stats = sender.stats();
        node::sample(
            i,
            epoch.unwrap_or(due),
            &stats,
            time_driver::now_ms(),
            tagged,
            |metric, timestamp, value| {
                let _ = sender.push(metric, timestamp, value);
            },
        );
    }
    Timer::at(Instant::from_millis(
        start + u64::from(config::INTERVALS) * interval_ms,
    ))
    .await;

    let deadline = Instant::now() + Duration::from_millis(node::FLUSH_TIMEOUT_MS.into());
    while !sender.is_flushed() && Instant::now() < deadline {
        Timer::after_millis(50).await;
    }
    sender.shutdown();
    SENDER_DONE.wait().await;
    Timer::after_millis(200).await;

    let stats: Stats = sender.stats();
    node::log_tagged(tagged);
    node::log_counters(&stats);
    let (sender_stack, network_stack, program_stack) = critical_section::with(|cs| {
        let probe = PROBE.borrow_ref(cs);
        let probe = probe.as_ref().unwrap();
        (
            probe.deepest(Part::Sender),
            probe.deepest(Part::Network),
            probe.high_water(),
        )
    });
    node::log_stack(sender_stack, network_stack, program_stack);
    let c = executor::counts();
    let ms = time_driver::now_ms();
    defmt::info!(
        "idle: executor polled {} times in {} ms, busy in {} of {} ms, the CPU slept {} times",
        c.polls,
        ms,
        c.busy_ticks,
        ms,
        c.sleeps
    );
    let ok = node::verdict(&stats, sender.is_flushed());
    mps2_board::exit(ok)
}

/// An external interrupt line of the board, for the NVIC.
#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: only built with the boards' interrupt numbers (the Ethernet controller's, timer 0's).
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

#[entry]
fn main() -> ! {
    critical_section::with(|cs| PROBE.borrow(cs).replace(Some(StackProbe::new())));
    let cp = cortex_m::Peripherals::take().unwrap();
    time_driver::start(cp.SYST);

    node::log_banner(" embassy");

    // Statics are taken in place (ConstStaticCell) or built by init_with, not built on main's stack and
    // moved: main's frame lives as long as the executor, so a temporary in it is RAM lost for good.
    static ETH_RX: ConstStaticCell<[u8; lan9118::BUF_LEN]> =
        ConstStaticCell::new([0; lan9118::BUF_LEN]);
    static ETH_TX: ConstStaticCell<[u8; lan9118::BUF_LEN]> =
        ConstStaticCell::new([0; lan9118::BUF_LEN]);
    let rx = ETH_RX.take();
    let tx = ETH_TX.take();
    // SAFETY: ETH_BASE is the board's LAN9118 and only this driver (and its interrupt handler) touch it.
    let (mut eth, id) = match unsafe { Lan9118::new(mps2_board::ETH_BASE, config::MAC, rx, tx) } {
        Ok(up) => up,
        Err(e) => {
            defmt::error!("no Ethernet controller: {}", e);
            mps2_board::exit(false);
        }
    };
    eth.enable_irq();
    // SAFETY: the handlers (DefaultHandler below) only mask the chip's interrupt and wake a waker, or run the
    // time driver's alarm; neither breaks a critical section (both take their own).
    unsafe {
        NVIC::unmask(Irq(lan9118::ETH_IRQ));
        NVIC::unmask(Irq(time_driver::TIMER0_IRQ));
    }
    defmt::info!("LAN9118 id {=u32:#x}, MAC {=[u8]:02x}", id, config::MAC[..]);

    let [a, b, c, d] = config::IP;
    let [g1, g2, g3, g4] = config::GATEWAY;
    let net_config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(a, b, c, d), config::PREFIX_LEN),
        gateway: Some(Ipv4Address::new(g1, g2, g3, g4)),
        dns_servers: Default::default(),
    });
    let m = config::MAC;
    let seed = u64::from_le_bytes([m[0], m[1], m[2], m[3], m[4], m[5], 0, 1]);
    // The TCP socket, the SNTP socket, one spare.
    static RESOURCES: ConstStaticCell<StackResources<3>> =
        ConstStaticCell::new(StackResources::new());
    let (stack, runner) = embassy_net::new(eth, net_config, RESOURCES.take(), seed);

    if let Err(e) = node::sender_config().options.validate() {
        defmt::error!("bad sender configuration: {}", e);
        mps2_board::exit(false);
    }
    static SENDER: StaticCell<NodeSender> = StaticCell::new();
    let sender: &'static NodeSender =
        SENDER.init_with(|| match AsyncSender::new(node::sender_config()) {
            Ok(s) => s,
            // Validated above; no panic path (and its formatting) for it.
            Err(_) => mps2_board::exit(false),
        });
    defmt::info!(
        "sender: queue of {} datapoints, prefix {=str}, {} bytes of RAM",
        sender.capacity(),
        config::PREFIX,
        core::mem::size_of::<NodeSender>()
    );
    let tagged = node::tagged_series(
        "embassy-node",
        if cfg!(feature = "tls") { "tls" } else { "tcp" },
    );

    static EXECUTOR: StaticCell<raw::Executor> = StaticCell::new();
    let executor = EXECUTOR.init(raw::Executor::new(core::ptr::null_mut()));
    executor::run(executor, |spawner| {
        spawner.spawn(net_task(runner).unwrap());
        spawner.spawn(sender_task(sender, stack).unwrap());
        spawner.spawn(sntp_task(stack).unwrap());
        spawner.spawn(sampler_task(sender, tagged).unwrap());
    })
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    match irqn as u16 {
        lan9118::ETH_IRQ => lan9118::on_interrupt(),
        time_driver::TIMER0_IRQ => time_driver::on_alarm(),
        _ => panic!("unexpected interrupt {}", irqn),
    }
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    // panic-probe ends a panic here too: make it QEMU's exit status.
    mps2_board::exit(false)
}
