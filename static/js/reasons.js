// Why a balancer picked its target (`lb.pick`'s `reason`), in the page's language.
//
// The engine writes the reason in English (patterns/balancing.py, `explain`), the form the
// event stream and the exports keep. Each form it writes has one rule here: a pattern over
// the English and the same sentence through the catalog, so a Korean page reads Korean and
// an English one the engine's own words. tests/playground/test_reasons.py runs the built-in
// scenarios and checks that every reason they give matches a rule; one that does not is
// shown as the engine wrote it.

import { gettext, interpolate, word } from "./i18n.js";

// Each sentence is a literal gettext() call, so `make messages` finds it for the catalog.
const say = (translated, values) => interpolate(translated, values, true);
const spread = (text) => {
  const m = /^(\d+) to (\d+)$/.exec(text);
  return m ? say(gettext("%(low)s to %(high)s"), { low: m[1], high: m[2] }) : text;
};

// [pattern, words]; the patterns are plain enough for Python's `re` too (the test reads them).
const RULES = [
  [/^round robin: (\S+) was next in turn$/,
    (m) => say(gettext("round robin: %(chosen)s was next in turn"), { chosen: m[1] })],
  [/^smooth weighted round robin: (\S+) had the highest running score \((.*)\)$/,
    (m) => say(gettext("smooth weighted round robin: %(chosen)s had the highest running score (%(scores)s)"), { chosen: m[1], scores: m[2].replace(/ weight /g, ` ${gettext("weight")} `) })],
  [/^least connections: (\S+) had (\d+) in flight \(the only target\)$/,
    (m) => say(gettext("least connections: %(chosen)s had %(n)s in flight (the only target)"), { chosen: m[1], n: m[2] })],
  [/^least connections: (\S+) had (\d+) in flight \(tied, taken round robin\); the others had (.+)$/,
    (m) => say(gettext("least connections: %(chosen)s had %(n)s in flight (tied, taken round robin); the others had %(others)s"), { chosen: m[1], n: m[2], others: spread(m[3]) })],
  [/^least connections: (\S+) had (\d+) in flight; the others had (.+)$/,
    (m) => say(gettext("least connections: %(chosen)s had %(n)s in flight; the others had %(others)s"), { chosen: m[1], n: m[2], others: spread(m[3]) })],
  [/^sticky session (\S+): (\S+) \(same target as before\)$/,
    (m) => say(gettext("sticky session %(session)s: %(chosen)s (same target as before)"), { session: m[1], chosen: m[2] })],
  [/^sticky session (\S+): (\S+) \(new session, placed round robin\)$/,
    (m) => say(gettext("sticky session %(session)s: %(chosen)s (new session, placed round robin)"), { session: m[1], chosen: m[2] })],
  [/^sticky session (\S+): (\S+) \((\S+) is marked down, session moved\)$/,
    (m) => say(gettext("sticky session %(session)s: %(chosen)s (%(down)s is marked down, session moved)"), { session: m[1], chosen: m[2], down: m[3] })],
  [/^(consistent hash|ip hash): session (\S+) hashes onto (\S+)'s arc of the ring \((\d+) targets\)$/,
    (m) => say(gettext("%(algorithm)s: session %(session)s hashes onto %(chosen)s's arc of the ring (%(n)s targets)"), { algorithm: word(m[1].replace(" ", "_")), session: m[2], chosen: m[3], n: m[4] })],
  [/^random: (\S+) drawn uniformly from (\d+) targets$/,
    (m) => say(gettext("random: %(chosen)s drawn uniformly from %(n)s targets"), { chosen: m[1], n: m[2] })],
  [/^power of two: (\S+) is the only target$/,
    (m) => say(gettext("power of two: %(chosen)s is the only target"), { chosen: m[1] })],
  [/^power of two: drew (\S+) \((\d+) in flight\) and (\S+) \((\d+) in flight\); took the less busy$/,
    (m) => say(gettext("power of two: drew %(a)s (%(a_n)s in flight) and %(b)s (%(b_n)s in flight); took the less busy"), { a: m[1], a_n: m[2], b: m[3], b_n: m[4] })],
];

export function reasonWords(text) {
  if (!text) return text;
  for (const [pattern, words] of RULES) {
    const m = pattern.exec(text);
    if (m) return words(m);
  }
  return text;
}
