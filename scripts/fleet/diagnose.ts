// Where a failed request was lost: the board's own record says whether the request reached it and
// when its answer went out and was acknowledged by the broker; the event-loop stalls of the fleet
// process (every board) and of the gateway say whether the machine held either side up meanwhile.
import type { FleetBoard } from "./board"
import type { Sample } from "./load"
import type { Stall } from "./loop-delay"
import type { Sniffer } from "./sniffer"

export interface Marks {
    /** Named moments of the run (Date.now()), e.g. the kills. */
    events: { name: string; at: number }[]
    sniffer?: Sniffer
}

function stallsIn(stalls: Stall[], from: number, to: number): string {
    // a stall reported at `at` covered [at - ms, at]
    const hit = stalls.filter((s) => s.at >= from && s.at - s.ms <= to)
    if (hit.length === 0) return "none"
    return hit.map((s) => `${s.ms} ms at +${s.at - s.ms - from}`).join(", ")
}

export function diagnose(s: Sample, board: FleetBoard | undefined, fleetStalls: Stall[], gatewayStalls: Stall[], marks: Marks): string {
    const end = s.at + s.ms
    const when = marks.events.map((e) => `${e.name}${s.at >= e.at ? "+" : ""}${s.at - e.at}`).join(" ")
    const first = s.retried !== undefined ? `first ${s.retried}, then ` : ""
    const parts = [`${s.gateway} ${first}${s.detail ?? `${s.id} answered`} after ${s.ms} ms, sent at ${when}`]
    if (board) {
        const seen: string[] = []
        for (const [token, r] of board.requests) {
            // a late arrival is reported too
            if (r.rx < s.at || r.rx > end + 15_000) continue
            // a JSON-RPC call is known by its id; a GET only by its time
            if (s.kind === "rpc" && !r.body.includes(`"${s.gateway}-${s.at}-`)) continue
            if (s.kind === "coap" && r.body !== "") continue
            const t = (x: number | undefined) => (x === undefined ? "never" : `+${x - s.at}`)
            const b = marks.sniffer?.seen.get(token)
            const broker = marks.sniffer ? ` (broker: req ${t(b?.req)} res ${t(b?.res)})` : ""
            seen.push(`${token.slice(0, 8)} rx ${t(r.rx)} answered ${t(r.tx)} acked ${t(r.acked)}${broker}`)
        }
        parts.push(`board got: ${seen.length ? seen.join("; ") : "nothing"}`)
        // what the broker passed on to this board meanwhile that the board never got
        const missed = (marks.sniffer?.requests.get(s.id) ?? [])
            .filter((q) => q.at >= s.at && q.at <= end && !board.requests.has(q.token))
            .map((q) => `${q.token} at +${q.at - s.at}`)
        if (marks.sniffer) parts.push(`broker passed on, board never got: ${missed.length ? missed.join(", ") : "none"}`)
        const downs = board.links.down.filter((t) => t >= s.at - 5000 && t <= end).map((t) => `+${t - s.at}`)
        if (downs.length) parts.push(`board link down at ${downs.join(", ")}`)
    }
    parts.push(`fleet loop stalls: ${stallsIn(fleetStalls, s.at, end)}`)
    parts.push(`gateway loop stalls: ${stallsIn(gatewayStalls, s.at, end)}`)
    return parts.join(" | ")
}
