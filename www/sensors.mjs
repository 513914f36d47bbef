// A simulated sensor node: a few gauges that drift, one line per sensor per tick, in carbon plaintext.
// Deterministic for a given seed (a small PRNG), so a run can be replayed.

const SENSORS = [
  { path: 'sensors.kitchen.temperature', base: 21.5, swing: 1.2, noise: 0.15, digits: 2 },
  { path: 'sensors.kitchen.humidity', base: 48, swing: 6, noise: 0.8, digits: 1 },
  { path: 'sensors.garage.pressure', base: 1013.2, swing: 2.5, noise: 0.3, digits: 1 },
  { path: 'sensors.garden.soil_moisture', base: 0.31, swing: 0.05, noise: 0.01, digits: 3 },
];

// mulberry32
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator of ticks: each call of `next(timestamp)` returns that second's lines. */
export function sensorNode(seed = 7) {
  const rand = prng(seed);
  const drift = SENSORS.map(() => 0);
  let tick = 0;
  return {
    next(timestamp) {
      const lines = SENSORS.map((s, i) => {
        drift[i] = drift[i] * 0.9 + (rand() - 0.5) * s.noise * 2;
        const v = s.base + s.swing * Math.sin((tick + i * 7) / 9) + drift[i];
        return `${s.path} ${v.toFixed(s.digits)} ${timestamp}`;
      });
      tick++;
      return lines;
    },
  };
}
