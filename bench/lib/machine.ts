/** The machine a benchmark ran on: CPU model, cores, RAM, Node version and OS. */
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
}

/** Reads the machine description from `node:os`. */
export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    cpu: (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: os.availableParallelism(),
    ramGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** One line naming the machine, e.g. "Intel Xeon …, 2 cores, 23.5 GiB RAM, Node v20.20.2, Linux 6.1 x64". */
export function describeMachine(m: Machine = machineInfo()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB.toFixed(1)} GiB RAM, Node ${m.node}, ${m.os}`;
}
