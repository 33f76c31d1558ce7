// A request's trace from the event stream: the same rules as patterns/tracing.py (keep them in step).
// Each hop: {seq, t, arrive_t, from, to, from_node, to_node, kind: "call"|"reply", send_clock, recv_clock}.

export const lane = (name) => String(name).split("#", 1)[0];

export function trace(events, req) {
  const sends = events.filter((e) => e.type === "msg.send" && e.req === req).sort((a, b) => a.t - b.t || a.seq - b.seq);
  const pending = new Map();
  const hops = sends.map((e) => {
    const src = lane(e.from), dst = lane(e.to);
    const back = `${dst}\u0000${src}`, fwd = `${src}\u0000${dst}`;
    let kind = "call";
    if ((pending.get(back) || 0) > 0) { pending.set(back, pending.get(back) - 1); kind = "reply"; }
    else pending.set(fwd, (pending.get(fwd) || 0) + 1);
    return { seq: e.seq, t: e.t, arrive_t: e.arrive_t ?? e.t, from: e.from, to: e.to, from_node: src, to_node: dst, kind };
  });
  // Lamport clocks: a send ticks its lane; a receipt takes one more than the larger of its lane and the message.
  const actions = [];
  hops.forEach((h, k) => { actions.push([h.t, 1, h.seq, k]); actions.push([h.arrive_t, 0, h.seq, k]); });
  actions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const clock = new Map();
  for (const [, isSend, , k] of actions) {
    const h = hops[k];
    if (isSend) {
      if (h.send_clock !== undefined) continue;
      h.send_clock = (clock.get(h.from_node) || 0) + 1;
      clock.set(h.from_node, h.send_clock);
    } else {
      if (h.send_clock === undefined) { h.send_clock = (clock.get(h.from_node) || 0) + 1; clock.set(h.from_node, h.send_clock); }
      h.recv_clock = Math.max(clock.get(h.to_node) || 0, h.send_clock) + 1;
      clock.set(h.to_node, h.recv_clock);
    }
  }
  return hops;
}

export function lanes(hops) {
  const seen = [];
  for (const h of hops) for (const n of [h.from_node, h.to_node]) if (!seen.includes(n)) seen.push(n);
  return seen;
}
