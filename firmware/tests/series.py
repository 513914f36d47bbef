"""The sensor node's simulated series, exactly as sensor-node/src/lib.rs computes it.

Integer arithmetic on 32-bit words and one correctly rounded division, so Python's floats equal the
firmware's f64 bit for bit.
"""

M32 = 0xFFFF_FFFF
METRICS = ("temperature", "humidity", "uptime_ms", "queue_depth", "reconnects")


def noise(i: int) -> int:
    x = (i ^ 0x5BD1_E995) & M32
    x ^= x >> 16
    x = (x * 0x7FEB_352D) & M32
    x ^= x >> 15
    x = (x * 0x846C_A68B) & M32
    x ^= x >> 16
    return x


def triangle(i: int, period: int, amplitude: int) -> int:
    half = period // 2
    p = i % period
    up = p if p < half else period - p
    return up * amplitude // half


def temperature(i: int) -> float:
    return (1800 + triangle(i, 40, 800) + noise(i) % 25 - 12) / 100.0


def humidity(i: int) -> float:
    return (600 - triangle(i, 30, 200) + noise((i + 1_000_003) & M32) % 21 - 10) / 10.0


def expected_points(prefix: str, epoch: int, interval_s: int, samples: list[dict]) -> dict:
    """{path: [[ts, value], ...]} for logged samples (each with i, uptime, depth, reconnects)."""
    out = {f"{prefix}.{m}": [] for m in METRICS}
    for s in samples:
        i = s["i"]
        ts = epoch + i * interval_s
        values = (temperature(i), humidity(i), float(s["uptime"]), float(s["depth"]), float(s["reconnects"]))
        for m, v in zip(METRICS, values):
            out[f"{prefix}.{m}"].append([ts, v])
    return out


if __name__ == "__main__":
    for i in range(5):
        print(i, temperature(i), humidity(i))
