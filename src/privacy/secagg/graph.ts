/**
 * The masking graph of SecAgg+ (Bell et al. 2020, "Secure Single-Server Aggregation with (Poly)Logarithmic
 * Overhead"): each client masks with, and shares its secrets among, k neighbours instead of all n − 1 clients.
 */
import { randomInt } from '../csprng.js';
import type { ClientId } from './messages.js';

/**
 * Who neighbours whom: for each client of U1, its neighbours (never itself).
 * @example const g = maskingGraph([0, 1, 2, 3], null); g.get(0) // Set {1, 2, 3}
 */
export type MaskingGraph = Map<ClientId, Set<ClientId>>;

/**
 * The graph over the clients `ids` (U1): the complete graph when `neighbours` is null or ≥ |ids| − 1 (original
 * SecAgg), else the Harary graph H(k, m) over a CSPRNG-random ordering of the clients: the client at position i
 * neighbours positions i ± 1, …, i ± k/2 (mod m), so every client has exactly k (even) neighbours and the graph
 * stays connected after any k − 1 dropouts. Random relabelling, as in Bell et al.'s practical variant and Flower's
 * SecAgg+, keeps the server from fixing who neighbours whom in advance; a malicious server can still choose the
 * graph (it chooses everything else too: PAPER.md §7).
 * @example const g = maskingGraph(Array.from({ length: 100 }, (_, i) => i), 14); g.get(5)!.size // 14
 */
export function maskingGraph(ids: readonly ClientId[], neighbours: number | null): MaskingGraph {
  const m = ids.length;
  const graph: MaskingGraph = new Map(ids.map((id) => [id, new Set<ClientId>()]));
  if (neighbours === null || neighbours >= m - 1) {
    for (const u of ids) for (const v of ids) if (u !== v) graph.get(u)!.add(v);
    return graph;
  }
  const order = [...ids];
  for (let i = m - 1; i > 0; i--) { // Fisher–Yates with the CSPRNG
    const j = randomInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let i = 0; i < m; i++) {
    for (let d = 1; d <= neighbours / 2; d++) {
      const u = order[i];
      const v = order[(i + d) % m];
      graph.get(u)!.add(v);
      graph.get(v)!.add(u);
    }
  }
  return graph;
}
