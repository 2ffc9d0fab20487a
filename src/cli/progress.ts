/** A progress bar on an interactive terminal; silent in CI, in pipes and with --json. */

/** Reports progress of `total` steps. */
export interface Progress {
  tick(label?: string): void;
  done(): void;
}

/**
 * A bar on stderr when it is a TTY and `CI` is unset; otherwise a no-op, so logs stay clean.
 * @example const p = progressBar(10, 'runs'); for (...) p.tick(); p.done();
 */
export function progressBar(total: number, what: string, enabled = isInteractive()): Progress {
  if (!enabled || total <= 1) return { tick() {}, done() {} };
  let n = 0;
  const start = Date.now();
  const draw = (label = '') => {
    const width = 30;
    const filled = Math.round((n / total) * width);
    const elapsed = (Date.now() - start) / 1000;
    const eta = n > 0 ? (elapsed / n) * (total - n) : NaN;
    const etaText = Number.isFinite(eta) ? ` eta ${eta.toFixed(0)}s` : '';
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} ${what}${etaText} ${label}`.padEnd(90),
    );
  };
  draw();
  return {
    tick(label) {
      n++;
      draw(label);
    },
    done() {
      process.stderr.write('\r' + ' '.repeat(90) + '\r');
    },
  };
}

/** True on a terminal outside CI. */
export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}
