// A lesson narrating the run (docs/lessons.md): the prediction question before the run goes,
// the steps as their events are applied to the view (pausing it if asked, highlighting the
// nodes they name), the moments as markers on a finished run's scrubber, and the reveal with
// this run's own figures from its summary.
//
// The matching rules are patterns/lessons.py's, mirrored here (keep the two in step;
// tests/e2e/test_lessons.py checks that the steps fire at the events the engine's matcher
// picks). Text from the lesson goes into the page as text only (textContent, dom.js).

import { h } from "./dom.js";
import { Glossary } from "./glossary.js";
import { gettext, interpolate } from "./i18n.js";

// ---- the rules, as patterns/lessons.py ----------------------------------------

const NAME_FIELDS = new Set(["node", "instance", "lb", "chosen", "target", "from", "to", "origin", "replica", "call"]);
const MISSING = Symbol("missing");

function valueAt(obj, path) {
  for (const part of path.split(".")) {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj) || !Object.hasOwn(obj, part)) return MISSING;
    obj = obj[part];
  }
  return obj;
}

export function matches(when, event) {
  if (Object.hasOwn(when, "at_ms")) return event.t >= when.at_ms;
  if (event.type !== when.event) return false;
  return Object.entries(when.where || {}).every(([key, value]) => valueAt(event, key) === value);
}

function hasName(doc, name) {
  const [node, index] = name.split("#");
  if (index !== undefined && !/^\d+$/.test(index)) return false;
  return (doc.nodes || []).some((n) => n && n.id === node);
}

export function missingName(when, doc) {
  for (const [key, value] of Object.entries(when.where || {})) {
    if (NAME_FIELDS.has(key) && typeof value === "string" && !hasName(doc, value)) return value;
  }
  return null;
}

export class Matcher {
  constructor(lesson, doc) {
    this.steps = lesson.steps;
    this.states = lesson.steps.map((step) => {
      const name = missingName(step.when, doc);
      return { id: step.id, seq: null, t: null, skipped: name ? "missing-name" : null, name };
    });
    this.next = 0;
    this.count = 0;
    this.advance();
  }

  advance() { while (this.next < this.states.length && this.states[this.next].skipped) this.next++; }

  feed(event) {
    if (this.next >= this.states.length) return null;
    const when = this.steps[this.next].when;
    if (!matches(when, event)) return null;
    this.count++;
    if (this.count < (when.nth || 1)) return null;
    const state = this.states[this.next];
    state.seq = event.seq;
    state.t = event.t;
    this.next++;
    this.count = 0;
    this.advance();
    return state;
  }

  finish() {
    const skipped = [];
    for (let i = this.next; i < this.states.length; i++) {
      const state = this.states[i];
      if (state.seq === null && !state.skipped) { state.skipped = skipped.length ? "after-skipped" : "never"; skipped.push(state); }
    }
    this.next = this.states.length;
    return skipped;
  }
}

export function answer(lesson, summary) {
  const question = lesson.question;
  const figures = {};
  for (const [name, path] of Object.entries(question.figures)) {
    const v = valueAt(summary || {}, path);
    figures[name] = v === MISSING ? null : v;
  }
  const rule = question.answer;
  const isNumber = (v) => typeof v === "number";
  if (Object.hasOwn(rule, "positive")) {
    const v = figures[rule.positive];
    return [isNumber(v) ? (v > 0 ? rule.yes : rule.no) : null, figures];
  }
  const key = Object.hasOwn(rule, "largest") ? "largest" : "smallest";
  const scored = Object.entries(rule[key]).map(([choice, name]) => [figures[name], choice]);
  if (!scored.every(([v]) => isNumber(v))) return [null, figures];
  const best = scored.reduce((a, b) => ((key === "largest" ? b[0] > a[0] : b[0] < a[0]) ? b : a));
  if (scored.filter(([v]) => v === best[0]).length > 1) return [null, figures]; // a tie answers nothing
  return [best[1], figures];
}

// ---- the view ---------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

export class LessonView {
  // hooks: events() (every event received), mode() ("live" or "replay"), owner, pause(), play(),
  // seek(t), endT(), following() (a class's follower in follow mode: the presenter's place in
  // the lesson drives this one), moved() (this lesson's place changed: a presenter relays it).
  // Returns null when the run has no lesson; the glossary works without one.
  static mount(info, doc, hooks) {
    const glossary = new Glossary(info?.glossary || [], info?.language || "en", $("glossary-tip"));
    glossary.mark(document.querySelector("#watch p"));
    if (!info?.lesson || !$("lesson")) return { glossary, view: null };
    return { glossary, view: new LessonView(info, doc, hooks, glossary) };
  }

  constructor(info, doc, hooks, glossary) {
    this.lesson = info.lesson;
    this.slug = info.slug;
    this.lang = info.language === "ko" ? "ko" : "en";
    this.doc = doc;
    this.hooks = hooks;
    this.glossary = glossary;
    this.matcher = new Matcher(this.lesson, doc);
    this.quiet = false;
    this.prediction = undefined; // undefined: not asked yet; null: watched without a guess
    this.summary = null;
    this.full = null; // the steps over the whole stored stream, once the run is over
    this.highlighted = [];
    this.waiting = null; // the step the run is paused at
    this.queue = []; // steps fired live while one is waiting
    this.revealed = false;
    this.shown = null; // the index of the step in the step box, or null
    this.remote = null; // the presenter's place, while following a class (follow())
    this.render();
  }

  text(value) { return (value && (value[this.lang] || value.en)) || ""; }

  setText(el, value) {
    el.textContent = value;
    this.glossary.mark(el);
  }

  render() {
    $("lesson").hidden = false;
    $("lesson").dataset.lesson = this.slug;
    this.setText($("lesson-title"), `${gettext("Lesson")}: ${this.text(this.lesson.title)}`);
    this.setText($("lesson-intro"), this.text(this.lesson.intro));
    this.setText($("lesson-question-text"), this.text(this.lesson.question.text));
    const choices = $("lesson-choices");
    choices.replaceChildren(...this.lesson.question.choices.map((c) => {
      const label = h("label", { class: "lesson-choice" }, h("input", { type: "radio", name: "lesson-choice", value: c.id, required: true }), " ", h("span", {}, this.text(c.text)));
      this.glossary.mark(label);
      return label;
    }));
    $("lesson-question").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const picked = $("lesson-question").querySelector("input[name=lesson-choice]:checked");
      if (picked) this.predict(picked.value);
    });
    $("lesson-no-guess").addEventListener("click", () => this.predict(null));
    $("lesson-continue").addEventListener("click", () => this.resume());
    const pause = $("lesson-pause");
    pause.checked = localStorage.getItem("lesson-pause") !== "0";
    pause.addEventListener("change", () => localStorage.setItem("lesson-pause", pause.checked ? "1" : "0"));
    this.renderSteps();
  }

  renderSteps() {
    const list = $("lesson-steps");
    const states = this.full || this.matcher.states;
    list.replaceChildren(...this.lesson.steps.map((step, i) => {
      const live = this.matcher.states[i];
      const final = states[i];
      const skipped = live.skipped || final.skipped;
      const reached = live.seq !== null;
      const li = h("li", { class: `lesson-step-item${reached ? " reached" : ""}${skipped ? " skipped" : ""}`, "data-step": step.id });
      // A step's words wait for its moment: read ahead, they would answer the question.
      const title = reached ? this.text(step.text).split(/(?<=[.!?。])\s/)[0] : interpolate(gettext("Step %(n)s"), { n: i + 1 }, true);
      if (final.seq !== null && this.full && this.hooks.mode() === "replay") {
        li.append(h("button", { type: "button", class: "link lesson-jump", "data-step": step.id }, `${(final.t / 1000).toFixed(2)} s`), " ", title);
      } else li.append(h("span", { class: "clock" }, reached ? `${(live.t / 1000).toFixed(2)} s` : "…"), " ", title);
      if (skipped) li.append(h("p", { class: "lesson-notice notice" }, this.skipNotice(i, skipped === live.skipped ? live : final)));
      this.glossary.mark(li);
      return li;
    }));
    for (const b of list.querySelectorAll(".lesson-jump")) b.addEventListener("click", () => this.jump(b.dataset.step));
  }

  skipNotice(i, state) {
    const n = i + 1;
    if (state.skipped === "missing-name") return interpolate(gettext("Step %(n)s skipped: it waits for %(name)s, which this topology does not have."), { n, name: state.name }, true);
    if (state.skipped === "never") return interpolate(gettext("Step %(n)s skipped: %(event)s never happened in this run."), { n, event: this.describe(this.lesson.steps[i].when) }, true);
    return interpolate(gettext("Step %(n)s skipped: the step before it never came."), { n }, true);
  }

  describe(when) {
    if (Object.hasOwn(when, "at_ms")) return interpolate(gettext("the time %(t)s s"), { t: (when.at_ms / 1000).toFixed(2) }, true);
    const where = Object.entries(when.where || {}).map(([k, v]) => `${k} = ${v}`).join(", ");
    return where ? `${when.event} (${where})` : when.event;
  }

  // ---- the question, before the run goes ----

  // A replay waits for the answer. A live run is not held: it is already going, and others
  // may be watching it; the question stays up, and the steps pause it once answered.
  begin() {
    if (this.prediction !== undefined) return;
    $("lesson-question").hidden = false;
    if (this.hooks.mode() === "replay" && !this.following()) this.hooks.pause();
  }

  // A student following a class answers for themselves, and the teacher's replay goes on.
  predict(choice) {
    this.prediction = choice;
    $("lesson-question").hidden = true;
    const line = $("lesson-prediction");
    line.hidden = false;
    const picked = this.lesson.question.choices.find((c) => c.id === choice);
    line.textContent = picked ? interpolate(gettext("Your prediction: %(choice)s"), { choice: this.text(picked.text) }, true) : gettext("No prediction: just watching.");
    if (this.hooks.mode() === "replay" && !this.following()) this.hooks.play();
    this.moved();
  }

  // ---- steps as the view applies events ----

  push(event) {
    const state = this.matcher.feed(event);
    if (!state || this.quiet) return;
    // Following a class, the step shown is the presenter's (follow()); the list still moves on.
    if (this.driven()) this.renderSteps();
    else this.show(state, true);
  }

  // A seek rebuilds the view from the first event: the steps fire again, silently.
  clear() {
    this.matcher = new Matcher(this.lesson, this.doc);
    this.queue = [];
    this.waiting = null;
    this.quiet = true;
  }

  settle() {
    this.quiet = false;
    if (this.driven()) { this.showRemote(); return; }
    const fired = this.matcher.states.filter((s) => s.seq !== null);
    if (fired.length) this.show(fired[fired.length - 1], false);
    else this.hideStep();
    this.renderSteps();
  }

  hideStep() {
    $("lesson-step").hidden = true;
    this.highlight([]);
    if (this.shown !== null) { this.shown = null; this.moved(); }
  }

  show(state, mayPause) {
    // Live, the run's events keep arriving until the pause takes effect: a step that fires
    // while the learner reads a paused one waits its turn instead of replacing it.
    if (mayPause && this.waiting) { this.queue.push(state); this.renderSteps(); return; }
    const i = this.lesson.steps.findIndex((s) => s.id === state.id);
    const step = this.lesson.steps[i];
    const box = $("lesson-step");
    box.hidden = false;
    box.dataset.step = step.id;
    $("lesson-step-n").textContent = interpolate(gettext("Step %(n)s of %(total)s"), { n: i + 1, total: this.lesson.steps.length }, true);
    $("lesson-step-t").textContent = `t = ${(state.t / 1000).toFixed(2)} s`;
    this.setText($("lesson-step-text"), this.text(step.text));
    this.highlight(step.highlight || []);
    // The lesson sits under the figures in the side column: bring the step into its view.
    box.scrollIntoView({ block: "nearest" });
    const pause = mayPause && step.pause && $("lesson-pause").checked && this.prediction !== undefined && this.hooks.canPause() && !this.following();
    $("lesson-continue").hidden = !pause;
    if (pause) { this.waiting = step.id; this.hooks.pause(state.t); }
    this.renderSteps();
    if (this.shown !== i) { this.shown = i; this.moved(); }
  }

  resume() {
    this.waiting = null;
    $("lesson-continue").hidden = true;
    const next = this.queue.shift();
    if (next) { this.show(next, true); if (this.waiting) return; }
    this.hooks.play();
  }

  highlight(names) {
    this.highlighted = names;
    this.applyHighlight();
  }

  // Called often: the stage rebuilds its SVG now and then, which drops the classes.
  applyHighlight() {
    const stage = document.getElementById("stage");
    if (!stage) return;
    const want = new Set();
    for (const name of this.highlighted) {
      const sel = name.includes("#") ? `[data-instance="${CSS.escape(name)}"]` : `[data-node="${CSS.escape(name)}"]`;
      for (const el of stage.querySelectorAll(sel)) want.add(el);
    }
    for (const el of stage.querySelectorAll(".lesson-hl")) if (!want.has(el)) el.classList.remove("lesson-hl");
    for (const el of want) el.classList.add("lesson-hl");
  }

  // ---- the end: skipped steps, markers, the reveal ----

  finish(summary) {
    if (summary) this.summary = summary;
    const events = this.hooks.events();
    const full = new Matcher(this.lesson, this.doc);
    for (const e of events) full.feed(e);
    full.finish();
    this.full = full.states;
    this.renderSteps();
    this.renderMarkers();
  }

  frame(now, endT, over) {
    this.applyHighlight();
    // Following a class, the answer shows when the presenter's does (follow()).
    if (over && this.summary && !this.revealed && now >= endT && !this.driven()) this.reveal();
  }

  renderMarkers() {
    const row = document.getElementById("scrubber-row");
    const scrub = document.getElementById("scrubber");
    if (!row || !scrub || !this.full) return;
    let layer = row.querySelector(".lesson-markers");
    if (!layer) { layer = h("div", { class: "lesson-markers" }); row.append(layer); }
    const end = this.hooks.endT() || 1;
    layer.replaceChildren(...this.full.map((s, i) => (s.seq === null ? null : h("button", {
      type: "button",
      class: "lesson-marker",
      "data-step": s.id,
      "data-t": String(s.t),
      title: interpolate(gettext("Lesson step %(n)s at %(t)s s"), { n: i + 1, t: (s.t / 1000).toFixed(2) }, true),
      "aria-label": interpolate(gettext("Lesson step %(n)s at %(t)s s"), { n: i + 1, t: (s.t / 1000).toFixed(2) }, true),
    }, String(i + 1)))).filter(Boolean));
    const place = () => {
      const inset = 8; // half the range thumb: the track's ends
      const width = scrub.offsetWidth - 2 * inset;
      // Markers closer than their width would cover each other (a crash, its first failure and
      // the health check within a second): each such one goes a row higher, at its exact place.
      const rowsEnd = [];
      for (const m of layer.children) {
        const x = (Number(m.dataset.t) / end) * width;
        let level = rowsEnd.findIndex((last) => x - last >= 24);
        if (level < 0) { level = rowsEnd.length; rowsEnd.push(x); } else rowsEnd[level] = x;
        m.style.left = `${x}px`;
        m.style.bottom = `${level * 22}px`;
      }
      row.style.paddingTop = `${0.9 + Math.max(0, rowsEnd.length - 1) * 1.3}rem`;
      layer.style.left = `${scrub.offsetLeft + inset}px`;
      layer.style.width = `${width}px`;
      layer.style.top = `${scrub.offsetTop - 6}px`;
    };
    place();
    if (!this.placing) { this.placing = true; window.addEventListener("resize", () => this.renderMarkers()); }
    for (const m of layer.children) m.addEventListener("click", () => this.jump(m.dataset.step));
  }

  jump(id) {
    const state = (this.full || []).find((s) => s.id === id);
    if (!state || state.seq === null) return;
    this.waiting = null;
    $("lesson-continue").hidden = true;
    this.hooks.seek(state.t);
    const i = this.lesson.steps.findIndex((s) => s.id === id);
    this.show({ ...state, id: this.lesson.steps[i].id }, false);
  }

  reveal() {
    this.revealed = true;
    const [right, figures] = answer(this.lesson, this.summary);
    const choice = this.lesson.question.choices.find((c) => c.id === right);
    const answerLine = $("lesson-answer");
    answerLine.replaceChildren(h("strong", {}, choice ? this.text(choice.text) : gettext("No single answer in this run (a tie, or a figure missing).")));
    answerLine.dataset.answer = right || "";
    if (this.prediction) answerLine.append(" ", this.prediction === right ? gettext("Your prediction was right.") : gettext("Not what you predicted: here is why."));
    const text = $("lesson-reveal-text");
    const parts = [];
    let last = 0;
    const template = this.text(this.lesson.reveal);
    for (const m of template.matchAll(/\{([a-z0-9_-]+)\}/g)) {
      parts.push(template.slice(last, m.index));
      const v = figures[m[1]];
      parts.push(h("strong", { class: "lesson-figure", "data-figure": m[1], "data-value": JSON.stringify(v) }, formatFigure(v, this.lang)));
      last = m.index + m[0].length;
    }
    parts.push(template.slice(last));
    text.replaceChildren(...parts);
    this.glossary.mark(text);
    $("lesson-reveal").hidden = false;
    this.moved();
  }

  // ---- a classroom (static/js/classroom.js) ----

  following() { return Boolean(this.hooks.following?.()); }

  driven() { return this.remote !== null && this.following(); }

  moved() { this.hooks.moved?.(); }

  // Where this page is in the lesson, for a presenter to relay (playground/runs/classroom.py
  // checks it: a step index, or null, and a phase).
  position() {
    const phase = this.revealed ? "reveal" : this.prediction === undefined ? "question" : "steps";
    return { step: this.shown, phase };
  }

  // A follower's page shows the presenter's place: the same step (with its highlights), the
  // question while the presenter's is up, the answer once revealed. Leaving follow mode keeps
  // what is shown; the student's own controls move it from there.
  follow(position) {
    this.remote = position;
    this.showRemote();
  }

  showRemote() {
    const { step, phase } = this.remote;
    if (phase === "question") { if (this.prediction === undefined) $("lesson-question").hidden = false; }
    else if (this.prediction === undefined) this.predict(null); // the class moved on without this student's guess
    const states = this.full || this.matcher.states;
    const state = step === null ? null : states[step] || null;
    if (state && state.seq !== null) {
      if (this.shown !== step || $("lesson-step").hidden) this.show(state, false);
    } else if (step === null) this.hideStep();
    // An index this lesson does not have, or a step this run never reached: left as it is.
    if (phase === "reveal" && !this.revealed && this.summary) this.reveal();
    else if (phase !== "reveal" && this.revealed) { this.revealed = false; $("lesson-reveal").hidden = true; }
    this.renderSteps();
  }
}

// The summary's own number, grouped for reading; never rounded beyond its 4 places.
export function formatFigure(v, lang) {
  if (typeof v !== "number") return "—";
  return v.toLocaleString(lang === "ko" ? "ko-KR" : "en-US", { maximumFractionDigits: 4 });
}
