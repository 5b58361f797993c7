// Copyright 2026 the @pocket/net authors. MIT license.
// CPU accounting around each measured round: this process, nginx, and what
// the rest of the machine used meanwhile (a busy machine makes the figures
// worthless, and this one may be shared). Linux only; elsewhere it reports
// nothing. /proc is read through `cat`, as Deno lets only --allow-all read it.
import process from "node:process";

/** CPU times at one instant. */
export interface CpuSample {
  /** performance.now() in ms. */
  at: number;
  /** This process, all threads, in µs. */
  own: number;
  /** nginx master and workers, in µs; NaN when unknown. */
  nginx: number;
  /** Every CPU of the machine, busy time, in µs; NaN when unknown. */
  machine: number;
  /** Every CPU, time stolen by the hypervisor for other guests, in µs. */
  steal: number;
}

/** CPU used between two samples. */
export interface CpuUse {
  /** This process, in µs. */
  own: number;
  /** nginx, in µs (NaN when unknown). */
  nginx: number;
  /**
   * Other processes, as a fraction of one core over the interval (NaN when
   * unknown; may be slightly negative, from /proc's 10 ms ticks).
   */
  otherCores: number;
  /** Time stolen by the hypervisor, as a fraction of one core (NaN when unknown). */
  stealCores: number;
}

const TICK_MICROS = 10_000; // USER_HZ is 100 on Linux.

async function cat(paths: string[]): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command("cat", {
      args: paths,
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout) : null;
  } catch {
    return null;
  }
}

/** Samples CPU times of this process, nginx's processes and the machine. */
export class CpuProbe {
  #pids: number[] = [];
  #enabled = Deno.build.os === "linux";

  /** Finds nginx's processes: the master and its children (with `ps`). */
  async watch(masterPid: number): Promise<void> {
    if (!this.#enabled) return;
    let children: number[] = [];
    try {
      const { success, stdout } = await new Deno.Command("ps", {
        args: ["-o", "pid=", "--ppid", String(masterPid)],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (success) {
        children = new TextDecoder().decode(stdout).trim().split(/\s+/)
          .filter(Boolean).map(Number);
      }
    } catch {
      // No ps: count the master only.
    }
    this.#pids = [masterPid, ...children];
  }

  /**
   * Takes a sample; keep it outside the timed section (it runs `cat`). At the
   * start of an interval (`end` false) this process is read after `cat`, at
   * its end before, so the cost of `cat` is not counted as this process's.
   */
  async sample(end = false): Promise<CpuSample> {
    const before = end ? process.cpuUsage() : null;
    const at = end ? performance.now() : 0;
    let machine = NaN;
    let nginx = NaN;
    let steal = NaN;
    if (this.#enabled) {
      const text = await cat([
        "/proc/stat",
        ...this.#pids.map((pid) => `/proc/${pid}/stat`),
      ]);
      if (text !== null) {
        const lines = text.split("\n");
        // cpu user nice system idle iowait irq softirq steal ...
        const cpu = lines[0].split(/\s+/).slice(1).map(Number);
        machine = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]) * TICK_MICROS;
        steal = cpu[7] * TICK_MICROS;
        if (this.#pids.length > 0) {
          nginx = 0;
          for (const line of lines) {
            // /proc/PID/stat lines: "PID (comm) state ..."
            if (!/^[0-9]+ \(/.test(line)) continue;
            // Fields after "(comm)": state is [0]; utime [11], stime [12].
            const rest = line.slice(line.lastIndexOf(")") + 2).split(" ");
            nginx += (Number(rest[11]) + Number(rest[12])) * TICK_MICROS;
          }
        }
      }
    }
    const { user, system } = before ?? process.cpuUsage();
    return {
      at: end ? at : performance.now(),
      own: user + system,
      nginx,
      machine,
      steal,
    };
  }

  /** CPU used from `a` to `b`. */
  static use(a: CpuSample, b: CpuSample): CpuUse {
    const own = b.own - a.own;
    const nginx = b.nginx - a.nginx;
    const wall = (b.at - a.at) * 1000;
    const other = (b.machine - a.machine - own - nginx) / wall;
    // Tick rounding can make a quiet machine look slightly negative: kept,
    // so that sums over short intervals are not biased upwards.
    return {
      own,
      nginx,
      otherCores: other,
      stealCores: (b.steal - a.steal) / wall,
    };
  }
}
