// The strings of static/js in the page's language. base.html loads Django's JavaScript catalog
// (/i18n/js/, same origin, a classic script that runs before any module) which defines
// gettext, ngettext, pgettext and interpolate on the window; modules import them from here so
// a page without the catalog (a test page, a fragment) still works, in English.
// `make messages` collects every gettext("…") / ngettext("…", "…", n) call of static/js into
// locale/*/LC_MESSAGES/djangojs.po.

const catalog = globalThis;

export const gettext = typeof catalog.gettext === "function" ? catalog.gettext : (s) => s;
export const ngettext = typeof catalog.ngettext === "function"
  ? catalog.ngettext
  : (singular, plural, n) => (n === 1 ? singular : plural);
export const pgettext = typeof catalog.pgettext === "function" ? catalog.pgettext : (_context, s) => s;

// interpolate("%(n)s of %(total)s", { n, total }, true), or with %s and a list.
export function interpolate(format, values, named = false) {
  if (typeof catalog.interpolate === "function") return catalog.interpolate(format, values, named);
  if (named) return format.replace(/%\(\w+\)s/g, (m) => String(values[m.slice(2, -2)]));
  const list = [...values];
  return format.replace(/%s/g, () => String(list.shift()));
}

// Code words that the engine and the server send (statuses, outcomes, saga states, hop kinds),
// shown in the page's language; the code itself stays in data and class names. The run
// statuses are the same words as playground/templatetags/words.py.
const WORDS = {
  queued: pgettext("status", "queued"),
  running: pgettext("status", "running"),
  paused: pgettext("status", "paused"),
  finished: pgettext("status", "finished"),
  failed: pgettext("status", "failed"),
  cancelled: pgettext("status", "cancelled"),
  ok: gettext("ok"),
  rejected: gettext("rejected"),
  timed_out: gettext("timed out"),
  completed: gettext("completed"),
  compensating: gettext("compensating"),
  compensated: gettext("compensated"),
  "compensation failed": gettext("compensation failed"),
  call: gettext("call"),
  reply: gettext("reply"),
  // Balancing algorithms (patterns/schema.py ALGORITHMS) and gather completions.
  // The same words as playground/templatetags/words.py ALGORITHM_WORDS.
  round_robin: gettext("Round robin"),
  weighted_round_robin: gettext("Weighted round robin"),
  least_connections: gettext("Least connections"),
  sticky: gettext("Sticky sessions"),
  ip_hash: gettext("IP hash"),
  consistent_hash: gettext("Consistent hashing"),
  random: gettext("Random"),
  power_of_two: gettext("Power of two choices"),
  all: gettext("all"),
  count: gettext("count"),
  deadline: gettext("deadline"),
};

export function word(code) {
  return Object.hasOwn(WORDS, code) ? WORDS[code] : code;
}
