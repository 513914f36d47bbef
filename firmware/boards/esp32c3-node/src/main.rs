//! The sensor node on an ESP32-C3 over WiFi: esp-hal 1.2, esp-radio's WiFi station (its blobs come from
//! crates.io), esp-rtos running embassy's executor, embassy-net with DHCP seeded from the chip's RNG, and
//! carbon-sender's `AsyncSender` sending the QEMU nodes' series (`sensor-node`) every `NODE_INTERVAL_S` s.
//!
//! Build-time settings (environment variables): `WIFI_SSID` and `WIFI_PASSWORD` (WPA2 Personal) are
//! required (`env!`: the build stops and names the missing one); `NODE_CARBON` carbon's pickle address
//! `ip:port` [192.168.1.10:2004], `NODE_PREFIX` [sensors.esp32c3], `NODE_INTERVAL_S` [10], `NODE_SNTP`
//! the SNTP server `ip:port` for the wall clock [162.159.200.123:123, time.cloudflare.com], asked at boot and
//! every hour (`carbon_sender::sntp`); samples before its first answer queue nothing.
#![no_std]
#![no_main]

use carbon_sender::embassy::{self as carbon, Options};
use core::net::SocketAddr;
use embassy_executor::Spawner;
use embassy_net::{Runner, Stack, StackResources};
use embassy_time::{Duration, Instant, Timer};
use esp_hal::clock::CpuClock;
use esp_hal::rng::Rng;
use esp_hal::timer::timg::TimerGroup;
use esp_println::println;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    self, AuthenticationMethodConfig, ControllerConfig, Interface, WifiController,
};
use static_cell::StaticCell;
use {esp_alloc as _, esp_backtrace as _};

esp_bootloader_esp_idf::esp_app_desc!();

const SSID: &str = env!(
    "WIFI_SSID",
    "set WIFI_SSID (and WIFI_PASSWORD) to build the ESP32-C3 node"
);
const PASSWORD: &str = env!(
    "WIFI_PASSWORD",
    "set WIFI_PASSWORD to build the ESP32-C3 node"
);
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
const PREFIX: &str = setting!("NODE_PREFIX", "sensors.esp32c3");
const INTERVAL_S: &str = setting!("NODE_INTERVAL_S", "10");
const SNTP: &str = setting!("NODE_SNTP", "162.159.200.123:123");
/// Datapoints held while carbon is unreachable: a dozen samples of five readings.
const QUEUE: usize = 64;

// ---- carbon glue: the sender and its task (carbon-sender's embassy glue) ----
type NodeSender = carbon::Sender<'static, &'static str, QUEUE>;
#[embassy_executor::task]
async fn sender_task(sender: &'static NodeSender, stack: Stack<'static>) {
    carbon::run(sender, stack).await
}
#[embassy_executor::task]
async fn sntp_task(stack: Stack<'static>, server: SocketAddr) -> ! {
    carbon_sender::sntp::run(stack, server, 3_600).await
}
// ---- end of carbon glue (the configuration and the push in main are the rest) ----

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Interface>) -> ! {
    runner.run().await
}

/// Joins the access point, and joins it again whenever the link drops.
#[embassy_executor::task]
async fn wifi_task(mut controller: WifiController<'static>) {
    loop {
        match controller.connect_async().await {
            Ok(_) => {
                println!("WiFi: joined {}", SSID);
                let _ = controller.wait_for_disconnect_async().await;
                println!("WiFi: link lost");
            }
            Err(e) => println!("WiFi: cannot join {}: {:?}", SSID, e),
        }
        Timer::after(Duration::from_secs(5)).await;
    }
}

#[esp_rtos::main]
async fn main(spawner: Spawner) {
    let peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    // esp-radio allocates its buffers (about 50 KiB for a station, its documentation says).
    esp_alloc::heap_allocator!(size: 72 * 1024);
    let timg0 = TimerGroup::new(peripherals.TIMG0);
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);
    println!(
        "esp32c3 sensor node: carbon at {}, prefix {}",
        CARBON, PREFIX
    );

    let station = StationConfig::default()
        .with_ssid(SSID.try_into().expect("SSID too long"))
        .with_authentication(AuthenticationMethodConfig::Wpa2Personal(
            PASSWORD.try_into().expect("password too long"),
        ));
    let controller = WifiController::new(
        peripherals.WIFI,
        ControllerConfig::default().with_initial_config(wifi::Config::Station(station)),
    )
    .expect("WiFi controller");
    let device = Interface::station();

    let rng = Rng::new();
    let seed = u64::from(rng.random()) << 32 | u64::from(rng.random());
    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(wifi_task(controller).expect("task"));
    spawner.spawn(net_task(runner).expect("task"));
    stack.wait_config_up().await;
    println!("DHCP: {:?}", stack.config_v4().map(|c| c.address));

    // ---- carbon glue: configure, start the sender, push the series ----
    let options = Options::new().with_prefix(PREFIX).with_max_points(10);
    let config = carbon::Config::new(CARBON.parse().expect("NODE_CARBON")).with_options(options);
    static SENDER: StaticCell<NodeSender> = StaticCell::new();
    let sender: &'static NodeSender = SENDER.init(NodeSender::new(config).expect("sender"));
    spawner.spawn(sender_task(sender, stack).expect("task"));
    spawner.spawn(sntp_task(stack, SNTP.parse().expect("NODE_SNTP")).expect("task"));
    // ---- end of carbon glue but the push below ----
    let interval: u32 = INTERVAL_S.parse().expect("NODE_INTERVAL_S");
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
            println!(
                "sample {}: no wall-clock time yet (SNTP): nothing queued",
                i
            );
            continue;
        };
        for (metric, value) in sensor_node::readings(i, live) {
            if sender.push(metric, timestamp, value).is_err() {
                println!("queue full: {} dropped", metric);
            }
        }
    }
}
