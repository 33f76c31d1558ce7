// A classroom (playground/runs/classroom.py): the presenter's replay, followed by every student
// who opened the follow link. The presenter's page sends where it is whenever the teacher
// plays, pauses, seeks, changes the speed or moves in the lesson (a step shown, the question
// answered, the answer revealed), and once a second; a follower's page goes to that moment
// and that place in the lesson (the follow link names the lesson), and leaves follow mode as
// soon as the student touches a control.

import { request } from "./api.js";
import { gettext, interpolate, ngettext } from "./i18n.js";

const HEARTBEAT_MS = 1000;
// A follower further than this from the presenter (in wall time) jumps to the presenter's
// moment; closer, it just plays on, so small network jitter does not make the stage stutter.
const TOLERANCE_WALL_MS = 300;
const ROOMS = "classroom-rooms"; // sessionStorage: the presenter's secret, never in the URL

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${path}`;
}

export class Classroom {
  // player: { now, playing, speed, mode, lesson ({step, phase} or null),
  //          applyRemote({t, playing, speed, lesson}) }
  static mount(boot, player, els) {
    const follow = new URLSearchParams(location.search).get("follow");
    const room = new Classroom(boot, player, els);
    if (follow) room.follow(follow);
    else room.resumePresenting();
    return room;
  }

  constructor(boot, player, els) {
    this.boot = boot;
    this.player = player;
    this.els = els;
    this.role = null; // "presenter" | "follower" | null
    this.following = false;
    this.socket = null;
    this.timer = null;
    this.lastSent = "";
    els.teach?.addEventListener("click", () => this.openDialog());
    els.stop?.addEventListener("click", () => this.stopPresenting());
    els.copy?.addEventListener("click", () => this.copyLink());
    els.leave?.addEventListener("click", () => (this.following ? this.leave() : this.rejoin()));
  }

  // ---- presenter -----------------------------------------------------------------------

  stored() {
    try { return JSON.parse(sessionStorage.getItem(ROOMS) || "{}"); } catch { return {}; }
  }

  resumePresenting() {
    const mine = this.stored()[this.boot.id];
    if (mine) this.present(mine);
  }

  async openDialog() {
    if (this.role !== "presenter") {
      const query = new URLSearchParams();
      if (this.boot.key) query.set("key", this.boot.key);
      if (this.boot.lesson?.slug) query.set("lesson", this.boot.lesson.slug); // the follow link names it
      const tail = query.toString() ? `?${query}` : "";
      try {
        const room = await request("POST", `/api/runs/${this.boot.id}/classroom${tail}`, {});
        const all = this.stored();
        all[this.boot.id] = room;
        sessionStorage.setItem(ROOMS, JSON.stringify(all));
        this.present(room);
      } catch (error) {
        this.say(error.message);
        return;
      }
    }
    this.els.dialog.showModal();
    this.els.link.select();
  }

  present(room) {
    this.role = "presenter";
    this.room = room;
    this.els.link.value = room.follow_url;
    this.els.teach.textContent = `${gettext("Class")} ●`;
    this.els.teach.setAttribute("aria-pressed", "true");
    this.showFollowers(0);
    this.connect(`${room.socket}&presenter=${encodeURIComponent(room.presenter)}`);
    this.timer = setInterval(() => this.send(true), HEARTBEAT_MS);
  }

  stopPresenting() {
    const all = this.stored();
    delete all[this.boot.id];
    sessionStorage.setItem(ROOMS, JSON.stringify(all));
    clearInterval(this.timer);
    this.role = null;
    if (this.socket) { this.socket.onclose = null; this.socket.close(); this.socket = null; }
    this.els.teach.textContent = gettext("Teach a class");
    this.els.teach.setAttribute("aria-pressed", "false");
    this.els.dialog.close();
  }

  async copyLink() {
    this.els.link.select();
    try { await navigator.clipboard.writeText(this.els.link.value); this.els.copy.textContent = gettext("Copied"); }
    catch { this.els.copy.textContent = gettext("Select and copy"); }
  }

  showFollowers(n) {
    this.els.count.textContent = interpolate(ngettext("%(n)s student following", "%(n)s students following", n), { n }, true);
    this.els.teach.title = this.els.count.textContent;
  }

  // Where the presenter is; `always` for the heartbeat, else only when it changed.
  send(always = false) {
    if (this.role !== "presenter" || !this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    const p = this.player;
    const state = { type: "state", t: Math.max(0, p.now), playing: p.playing, speed: p.speed };
    if (p.lesson) state.lesson = p.lesson;
    const key = `${state.playing}|${state.speed}|${JSON.stringify(state.lesson || null)}`;
    if (!always && key === this.lastSent) return;
    this.lastSent = key;
    this.socket.send(JSON.stringify(state));
  }

  // The teacher touched a control (run.js calls this): followers see it at once.
  changed() {
    if (this.role === "presenter") { this.lastSent = ""; this.send(); }
    else if (this.role === "follower" && this.following) this.leave();
  }

  // The lesson moved on the teacher's page (a step fired or was jumped to, the question was
  // answered, the answer revealed): followers see it at once. Never the student's own touch.
  lessonMoved() {
    if (this.role === "presenter") this.send();
  }

  // ---- follower ------------------------------------------------------------------------

  follow(roomName) {
    this.role = "follower";
    this.following = true;
    const key = this.boot.key ? `&key=${encodeURIComponent(this.boot.key)}` : "";
    this.roomName = roomName;
    this.els.bar.hidden = false;
    document.body.classList.add("following");
    this.showBar();
    this.connect(`/ws/classroom/${encodeURIComponent(roomName)}/?run=${this.boot.id}${key}`);
  }

  leave() {
    this.following = false;
    this.showBar();
  }

  rejoin() {
    this.following = true;
    this.showBar();
    if (this.lastState) this.apply(this.lastState, this.lastAt);
  }

  showBar() {
    document.body.classList.toggle("following", this.following);
    this.els.barText.textContent = this.following
      ? gettext("Following the teacher: you see what the teacher shows. Touch any control to explore on your own.")
      : gettext("You are exploring on your own. The teacher's class goes on.");
    this.els.leave.textContent = this.following ? gettext("Explore on my own") : gettext("Follow the teacher again");
  }

  apply(state, at) {
    if (!this.following || this.player.mode !== "replay") return;
    const elapsed = state.playing ? (performance.now() - at) * state.speed : 0;
    const target = state.t + elapsed;
    const far = Math.abs(this.player.now - target) > TOLERANCE_WALL_MS * state.speed;
    this.player.applyRemote({ t: far ? target : null, playing: state.playing, speed: state.speed, lesson: state.lesson || null });
  }

  // ---- the socket ----------------------------------------------------------------------

  connect(path) {
    const socket = new WebSocket(socketUrl(path));
    this.socket = socket;
    socket.addEventListener("message", (msg) => {
      const data = JSON.parse(msg.data);
      if (data.type === "state") { this.lastState = data; this.lastAt = performance.now(); this.apply(data, this.lastAt); }
      else if (data.type === "hello") { this.showFollowers(data.followers); this.lastSent = ""; this.send(true); }
      else if (data.type === "followers") this.showFollowers(data.followers);
    });
    socket.onclose = () => { if (this.role) setTimeout(() => { if (this.role && this.socket === socket) this.connect(path); }, 1500); };
  }

  say(text) {
    const line = document.getElementById("flash");
    if (line) { line.textContent = text; line.hidden = false; }
  }
}
