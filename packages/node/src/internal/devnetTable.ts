/**
 * The devnet's live table: one row per member (connections out and in, whom it dials, message rates, bans) and a
 * summary line saying whether every node has reached its target. Pure: snapshots in, lines out.
 */

export interface MemberSnapshot {
  readonly name: string
  readonly port: number
  readonly nodeId: string
  readonly isIntroducer: boolean
  /** Node ids of the remote ends, by direction (feelers and introducer queries excluded). */
  readonly outboundTo: ReadonlyArray<string>
  readonly inboundFrom: ReadonlyArray<string>
  /** Frames since start (all connections). */
  readonly framesIn: number
  readonly framesOut: number
  readonly bans: number
  /** Shown instead of the dialed peers (the introducer's registered and vetted counts). */
  readonly note?: string | undefined
}

export interface TableInput {
  readonly members: ReadonlyArray<MemberSnapshot>
  /** The previous snapshot (for rates) and the seconds between the two. */
  readonly previous: ReadonlyArray<MemberSnapshot> | undefined
  readonly seconds: number
  readonly target: number
  readonly uptimeSeconds: number
}

export interface Summary {
  readonly nodes: number
  /** Nodes with `target` outbound connections, or connected to every other node (nothing left to dial). */
  readonly atTarget: number
  /** Distinct node pairs with a connection. */
  readonly links: number
  readonly bans: number
  /** Every node reachable from every other through node-to-node connections. */
  readonly connected: boolean
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`)

export const summarize = (members: ReadonlyArray<MemberSnapshot>, target: number): Summary => {
  const nodes = members.filter((m) => !m.isIntroducer)
  const ids = new Set(nodes.map((m) => m.nodeId))
  const neighbours = new Map<string, Set<string>>(nodes.map((m) => [m.nodeId, new Set<string>()]))
  const links = new Set<string>()
  for (const m of nodes) {
    for (const other of [...m.outboundTo, ...m.inboundFrom]) {
      if (!ids.has(other) || other === m.nodeId) continue
      links.add(pairKey(m.nodeId, other))
      neighbours.get(m.nodeId)!.add(other)
      neighbours.get(other)!.add(m.nodeId)
    }
  }
  const atTarget = nodes.filter((m) => {
    const out = m.outboundTo.filter((id) => ids.has(id)).length
    return out >= target || neighbours.get(m.nodeId)!.size >= nodes.length - 1
  }).length
  const seen = new Set<string>()
  const stack = nodes.length > 0 ? [nodes[0]!.nodeId] : []
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    for (const next of neighbours.get(id) ?? []) if (!seen.has(next)) stack.push(next)
  }
  return {
    nodes: nodes.length,
    atTarget,
    links: links.size,
    bans: members.reduce((n, m) => n + m.bans, 0),
    connected: seen.size === nodes.length
  }
}

/** `devnet: 5/5 at target, 7 links, 0 bans, connected` — stable, for scripts and tests. */
export const summaryLine = (s: Summary): string =>
  `devnet: ${s.atTarget}/${s.nodes} at target, ${s.links} links, ${s.bans} bans, ` +
  `${s.connected ? "connected" : "not connected"}`

const rate = (now: number, before: number | undefined, seconds: number) =>
  before === undefined || seconds <= 0 ? "-" : ((now - before) / seconds).toFixed(1)

const clock = (seconds: number): string => {
  const s = Math.floor(seconds)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`
}

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd())
}

/** The whole table: a header line, one row per member, the summary line. */
export const render = (input: TableInput): Array<string> => {
  const names = new Map(input.members.map((m) => [m.nodeId, m.name]))
  const nameOf = (id: string) => names.get(id) ?? id.slice(0, 8)
  const before = new Map((input.previous ?? []).map((m) => [m.name, m]))
  const header = ["member", "port", "node id", "out", "in", "msg/s in", "msg/s out", "bans", "dials"]
  const rows: Array<Array<string>> = [header]
  for (const m of input.members) {
    const prev = before.get(m.name)
    rows.push([
      m.name,
      String(m.port),
      m.nodeId.slice(0, 8),
      String(m.outboundTo.length),
      String(m.inboundFrom.length),
      rate(m.framesIn, prev?.framesIn, input.seconds),
      rate(m.framesOut, prev?.framesOut, input.seconds),
      String(m.bans),
      m.note ?? (m.outboundTo.length === 0 ? "-" : m.outboundTo.map(nameOf).sort().join(" "))
    ])
  }
  const nodes = input.members.filter((m) => !m.isIntroducer).length
  return [
    `devnet of ${nodes} nodes and an introducer on 127.0.0.1, target ${input.target} outbound · up ${
      clock(input.uptimeSeconds)
    }`,
    ...table(rows),
    summaryLine(summarize(input.members, input.target))
  ]
}
