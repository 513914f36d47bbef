//! The sensor node on a NUCLEO-F767ZI: embassy-stm32's Ethernet MAC with the board's LAN8742A PHY (RMII),
//! DHCP, the hardware RNG seeding embassy-net, defmt over RTT (probe-rs), and carbon-sender's `AsyncSender`
//! sending the QEMU nodes' series (`sensor-node`) every `NODE_INTERVAL_S` seconds, forever.
//!
//! Build-time settings (environment variables, read by `option_env!`; the defaults in brackets):
//! `NODE_CARBON` carbon's pickle address `ip:port` [192.168.1.10:2004], `NODE_PREFIX`
//! [sensors.nucleo-f767zi], `NODE_INTERVAL_S` [10], `NODE_SNTP` the SNTP server `ip:port` for the wall clock
//! [162.159.200.123:123, time.cloudflare.com], asked at boot and every hour (`carbon_sender::sntp`); samples
//! before its first answer queue nothing.
#![no_std]
#![no_main]

use carbon_sender::embassy::{self as carbon, Options};
use core::net::SocketAddr;
use defmt::{info, unwrap};
use embassy_executor::Spawner;
use embassy_net::{Runner, Stack, StackResources};
use embassy_stm32::eth::{self, Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::time::Hertz;
use embassy_stm32::{bind_interrupts, Config as ChipConfig};
use embassy_time::{Instant, Timer};
use static_cell::StaticCell;
use {defmt_rtt as _, panic_probe as _};

#[cfg(feature = "tls")]
mod tls;

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// A build-time setting: the variable's value, or `default` when it is unset.
macro_rules! setting {
    ($name:literal, $default:literal) => {
        match option_env!($name) {
            Some(v) => v,
            None => $default,
        }
    };
}
const CARBON: &str = setting!("NODE_CARBON", "192.168.1.10:2004");
const PREFIX: &str = setting!("NODE_PREFIX", "sensors.nucleo-f767zi");
const INTERVAL_S: &str = setting!("NODE_INTERVAL_S", "10");
const SNTP: &str = setting!("NODE_SNTP", "162.159.200.123:123");
/// The board's MAC address (locally administered; ST's unique ID could make it per-board).
const MAC: [u8; 6] = [0x02, 0x00, 0xf7, 0x67, 0x00, 0x01];
/// Datapoints held while carbon is unreachable: a dozen samples of five readings.
pub(crate) const QUEUE: usize = 64;

// ---- carbon glue: the sender and its task (carbon-sender's embassy glue) ----
pub(crate) type NodeSender = carbon::Sender<'static, &'static str, QUEUE>;
#[cfg(not(feature = "tls"))]
#[embassy_executor::task]
async fn sender_task(sender: &'static NodeSender, stack: Stack<'static>, _seed: [u8; 32]) {
    carbon::run(sender, stack).await
}
#[cfg(feature = "tls")] // over TLS 1.3 (src/tls.rs), the seed from the hardware RNG
#[embassy_executor::task]
async fn sender_task(sender: &'static NodeSender, stack: Stack<'static>, seed: [u8; 32]) {
    tls::run(sender, stack, seed).await
}
#[embassy_executor::task]
async fn sntp_task(stack: Stack<'static>, server: SocketAddr) -> ! {
    carbon_sender::sntp::run(stack, server, 3_600).await
}
// ---- end of carbon glue (the configuration and the push in main are the rest) ----

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    // 216 MHz from the ST-LINK's 8 MHz clock (HSE bypass), as embassy's NUCLEO-F767ZI examples.
    let mut config = ChipConfig::default();
    {
        use embassy_stm32::rcc::*;
        config.rcc.hse = Some(Hse {
            freq: Hertz(8_000_000),
            mode: HseMode::Bypass,
        });
        config.rcc.pll_src = PllSource::HSE;
        config.rcc.pll = Some(Pll {
            prediv: PllPreDiv::DIV4,
            mul: PllMul::MUL216,
            divp: Some(PllPDiv::DIV2),
            divq: None,
            divr: None,
        });
        config.rcc.ahb_pre = AHBPrescaler::DIV1;
        config.rcc.apb1_pre = APBPrescaler::DIV4;
        config.rcc.apb2_pre = APBPrescaler::DIV2;
        config.rcc.sys = Sysclk::PLL1_P;
    }
    let p = embassy_stm32::init(config);
    info!(
        "nucleo-f767zi sensor node: carbon at {=str}, prefix {=str}",
        CARBON, PREFIX
    );

    // The hardware RNG seeds embassy-net (8 bytes) and, with feature tls, the TLS generator (32 bytes).
    let (mut seed, mut tls_seed) = ([0; 8], [0; 32]);
    let mut rng = Rng::new(p.RNG, Irqs);
    rng.fill_bytes(&mut seed);
    rng.fill_bytes(&mut tls_seed);

    // RMII pins of the NUCLEO-144 board (solder bridges as shipped), the PHY found on the MDIO bus.
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        MAC,
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );
    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        u64::from_le_bytes(seed),
    );
    spawner.spawn(unwrap!(net_task(runner)));
    stack.wait_config_up().await;
    info!("DHCP: {}", unwrap!(stack.config_v4()).address);

    // ---- carbon glue: configure, start the sender, push the series ----
    let options = Options::new().with_prefix(PREFIX).with_max_points(10);
    let config = carbon::Config::new(unwrap!(CARBON.parse().ok())).with_options(options);
    static SENDER: StaticCell<NodeSender> = StaticCell::new();
    let sender: &'static NodeSender = SENDER.init(unwrap!(NodeSender::new(config).ok()));
    spawner.spawn(unwrap!(sender_task(sender, stack, tls_seed)));
    spawner.spawn(unwrap!(sntp_task(stack, unwrap!(SNTP.parse().ok()))));
    // ---- end of carbon glue but the push below ----
    let interval: u32 = unwrap!(INTERVAL_S.parse().ok());
    for i in 0.. {
        Timer::at(Instant::from_secs(u64::from(i * interval))).await;
        let stats = sender.stats();
        let live = sensor_node::Live {
            uptime_ms: Instant::now().as_millis() as u32,
            queue_depth: stats.queued as u32,
            reconnects: stats.failures,
        };
        // Stamped with the wall clock (SNTP); without one yet, nothing is queued (never epoch 0).
        let Some(timestamp) = carbon_sender::sntp::now_unix() else {
            defmt::warn!(
                "sample {}: no wall-clock time yet (SNTP): nothing queued",
                i
            );
            continue;
        };
        for (metric, value) in sensor_node::readings(i, live) {
            if sender.push(metric, timestamp, value).is_err() {
                defmt::warn!("queue full: {=str} dropped", metric);
            }
        }
    }
}
