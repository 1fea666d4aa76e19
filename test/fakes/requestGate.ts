/**
 * Gates that hold a fake's requests until the test releases them, for deterministic races (cancel while a
 * request is in flight) without sleeps. Shared by every fake provider.
 */

/** A gate that holds requests to one endpoint until released. */
export interface RequestGate {
  /** Resolves when the first held request arrives. */
  reached: Promise<void>;
  /** Requests currently waiting at the gate. */
  readonly waiting: number;
  /** Lets every held request (and later ones) through; they then answer normally. */
  release(): void;
}

interface Gate {
  waiters: Array<() => void>;
  arrived: () => void;
  open: boolean;
}

/** The gates of one endpoint: `hold()` adds one, `pass()` waits at every closed one in turn. */
export class GateSet {
  readonly #gates: Gate[] = [];

  /** Holds every later request passing through this set until the returned gate is released. */
  hold(): RequestGate {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const gate: Gate = { waiters: [], arrived, open: false };
    this.#gates.push(gate);
    return {
      reached,
      get waiting() {
        return gate.waiters.length;
      },
      release: () => open(gate),
    };
  }

  /** Opens every gate (a fake closing lets its held requests go). */
  releaseAll(): void {
    for (const gate of this.#gates) open(gate);
  }

  /** Resolves once every gate of this set is open (a request calls this before it is answered). */
  async pass(): Promise<void> {
    for (const gate of this.#gates) {
      if (gate.open) continue;
      gate.arrived();
      await new Promise<void>((resolve) => gate.waiters.push(resolve));
    }
  }
}

/** Opens a gate and wakes the requests held at it. */
function open(gate: Gate): void {
  gate.open = true;
  for (const wake of gate.waiters.splice(0)) wake();
}
