// The demo page: a simulated Slack client. It draws one person's Slack from /api/state (long-polled)
// and sends each gesture to /api/<gesture>, where the simulator turns it into a real Socket Mode
// envelope for the app. Errors from the simulators are shown, never swallowed.

import { renderBlocks } from "./blocks.js";
import { h } from "./dom.js";
import { emojiImage } from "./emoji.js";
import { plainNodes, plainText, textObject } from "./mrkdwn.js";
import { message as renderMessage, renderPanel, sortByTs } from "./panel.js";

const ADMIN = "U01ADA";
const TYPE_DELAY_MS = 250;
const SUGGEST_DELAY_MS = 200;
const USER_KEY = "roundrobin-demo-user";
// What the browser keeps per demo run and person: read marks (localStorage) and what was typed in a
// view but not yet sent (sessionStorage: a reload keeps it, as Slack's client keeps a draft).
const READ_KEY = "roundrobin-demo-read";
const DRAFTS_KEY = "roundrobin-demo-drafts";

const ui = {
  user: new URLSearchParams(location.search).get("user") || localStorage.getItem(USER_KEY) || ADMIN,
  place: "home", // "home" | "messages" | "channel:<id>"
  pickers: {}, // picker key -> {open, query, options, active, loading}
  menu: null, // the open overflow menu's key
  drafts: {}, // text input key -> what the person typed that the simulator has not confirmed yet
  confirm: null, // {dialog, run}
  toasts: [],
  busy: 0,
  oncall: {}, // schedule id -> PagerDuty user ids chosen in the panel
  composer: {}, // channel id -> draft message
  read: {}, // place ("channel:<id>" | "messages") -> the newest ts the person has seen there
  readKey: null, // where `read` is kept (per demo run and person)
  restored: null, // the drafts key already restored on this page
  reveal: null, // ts of a message to scroll to (a permalink was opened)
  revealErrors: null, // block ids whose errors the submit just returned: scroll the first into view
  focusNext: null,
  focusWhenShown: null, // focus this once it is drawn (the composer after Join)
  lost: false,
};
let state = null;
let drawn = null; // the version of the state on screen (drawing waits while a button is held down)
let uiVersion = 0;
let topModal = null;
let pollAbort = null;
let pointerDown = false;
let renderPending = false;
const pendingTyping = new Map(); // key -> {timer, run}
const lastSent = {}; // text input key -> the value last sent to the simulator
const inflight = new Set();

// --- talking to the demo server ------------------------------------------------------------------

async function post(path, body) {
  ui.busy += 1;
  renderStatus();
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok || data.error) {
      toast(data.error || `${response.status} ${response.statusText}`, data.kind);
      return null;
    }
    return data;
  } catch (error) {
    toast(`The demo server did not answer: ${error.message}`, "network");
    return null;
  } finally {
    ui.busy -= 1;
    renderStatus();
  }
}

function gesture(name, body = {}) {
  // `seen`: the state on screen when the person acted, so that a click on a control already gone
  // is ignored, as in Slack. Gestures that wait before sending (for typing to flush) pass their own.
  const promise = post(`/api/${name}`, { user: ui.user, seen: drawn ?? undefined, ...body });
  inflight.add(promise);
  promise.finally(() => inflight.delete(promise));
  return promise;
}

async function pollLoop() {
  for (;;) {
    const user = ui.user;
    const version = state && state.me === user ? state.version : null;
    const abort = new AbortController();
    pollAbort = abort;
    try {
      const query = `user=${encodeURIComponent(user)}${version ? `&version=${version}` : ""}`;
      const response = await fetch(`/api/state?${query}`, { signal: abort.signal, cache: "no-store" });
      const data = await response.json();
      if (!response.ok) {
        toast(data.error || `state: ${response.status}`, data.kind);
        if (user === ADMIN) await sleep(2000);
        else switchUser(ADMIN);
        continue;
      }
      if (ui.lost) ((ui.lost = false), renderStatus());
      if (data.me !== ui.user) continue;
      if (!state || data.version !== state.version) {
        state = data;
        restoreDrafts();
        render();
      }
    } catch (error) {
      if (abort.signal.aborted) continue;
      ui.lost = true;
      renderStatus();
      await sleep(1000);
    }
  }
}

function refresh() {
  pollAbort?.abort();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- gestures -------------------------------------------------------------------------------------

/** Send what was typed but not yet sent, and wait for every fill in flight: Slack's client state is current. */
async function flushTyping() {
  for (const [key, pending] of pendingTyping) {
    clearTimeout(pending.timer);
    pendingTyping.delete(key);
    pending.run();
  }
  await Promise.all([...inflight]);
}

async function clickElement(el, block, extra, viewId) {
  const seen = drawn;
  await flushTyping();
  const body = { action_id: el.action_id, block_id: block.block_id, view_id: viewId, seen, ...extra };
  if (el.type === "button" && el.value !== undefined) body.value = el.value;
  return gesture("click", body);
}

async function fillElement(el, block, value, viewId) {
  const seen = drawn;
  await flushTyping();
  return gesture("fill", { action_id: el.action_id, block_id: block.block_id, view_id: viewId, seen, value });
}

function typeInto(el, block, key, value, { now = false, dispatch = false, viewId } = {}) {
  ui.drafts[key] = value;
  saveDrafts();
  clearTimeout(pendingTyping.get(key)?.timer);
  pendingTyping.delete(key);
  const seen = drawn; // typed into what was on screen then, even if it is sent a moment later
  const run = () => {
    lastSent[key] = value;
    const promise = gesture("fill", {
      action_id: el.action_id,
      block_id: block.block_id,
      view_id: viewId,
      seen,
      value: value === "" ? null : value,
    });
    promise.then(() => {
      if (ui.drafts[key] === value) delete ui.drafts[key];
      saveDrafts();
    });
    return promise;
  };
  // With dispatch_action, Slack tells the app when Enter is pressed (unless configured per character);
  // until then what was typed waits, and goes with the person's next gesture (a submit, say).
  const perCharacter = (el.dispatch_action_config?.trigger_actions_on || []).includes("on_character_entered");
  if (dispatch) run();
  else if (block.dispatch_action && !perCharacter) pendingTyping.set(key, { run, timer: null });
  else if (now) lastSent[key] === value || run();
  else
    pendingTyping.set(key, {
      run,
      timer: setTimeout(() => (pendingTyping.delete(key), run()), TYPE_DELAY_MS),
    });
}

async function submitModal() {
  const [viewId, seen] = [shownModal(), drawn];
  await flushTyping();
  const data = await gesture("submit", { view_id: viewId, seen });
  const invalid = Object.keys(data?.errors || {});
  if (invalid.length) {
    // Like Slack, bring the first field that needs attention into view (it may be far above).
    ui.revealErrors = invalid;
    revealErrors();
  }
}

async function closeModal() {
  const [viewId, seen] = [shownModal(), drawn];
  await flushTyping();
  ui.pickers = {};
  await gesture("close", { view_id: viewId, seen });
}

/** The id of the modal on top, as drawn (state may be newer while drawing waits for a click). */
function shownModal() {
  return document.querySelector(".modal.top")?.dataset.viewId;
}

/** Scroll the first input the last submit complained about into view, once it is drawn. */
function revealErrors() {
  if (!ui.revealErrors) return;
  const dialog = document.querySelector(".modal.top");
  const first = [...(dialog?.querySelectorAll("[data-block-type=input]") ?? [])].find(
    (node) => ui.revealErrors.includes(node.dataset.blockId) && node.querySelector(".field-error"),
  );
  if (!first) return;
  ui.revealErrors = null;
  first.scrollIntoView({ block: "center" });
}

// --- what the browser keeps: drafts (per tab) and read marks ---------------------------------------

function saveDrafts() {
  if (!state?.run) return;
  const key = `${DRAFTS_KEY}:${state.run}:${ui.user}`;
  try {
    if (Object.keys(ui.drafts).length) sessionStorage.setItem(key, JSON.stringify(ui.drafts));
    else sessionStorage.removeItem(key);
  } catch {
    // storage full or disabled: drafts then live as long as the page, as before
  }
}

/** After a reload (or a switch back to a person), what they typed and had not sent comes back, and
 * goes to the simulated client as their typing would have. */
function restoreDrafts() {
  const key = `${DRAFTS_KEY}:${state.run}:${ui.user}`;
  if (state.me !== ui.user || ui.restored === key) return;
  ui.restored = key;
  let drafts = {};
  try {
    drafts = JSON.parse(sessionStorage.getItem(key) || "{}");
  } catch {
    return;
  }
  const views = [state.home, ...state.modals].filter(Boolean);
  for (const [draftKey, value] of Object.entries(drafts)) {
    const [viewId, blockId, actionId] = draftKey.split("|");
    const view = views.find((v) => v.id === viewId);
    const block = view?.blocks.find((b) => b.block_id === blockId);
    const el =
      block &&
      [block.element, block.accessory, ...(block.elements || [])].find((e) => e?.action_id === actionId);
    if (el && typeof value === "string" && ui.drafts[draftKey] === undefined)
      typeInto(el, block, draftKey, value, { viewId });
  }
  saveDrafts();
}

function tsKey(ts) {
  return String(ts || "0")
    .split(".")
    .map(Number);
}

function tsAfter(a, b) {
  const [x, y] = [tsKey(a), tsKey(b)];
  return x[0] - y[0] > 0 || (x[0] === y[0] && (x[1] || 0) > (y[1] || 0));
}

function readMarks() {
  const key = `${READ_KEY}:${state.run}:${ui.user}`;
  if (ui.readKey !== key) {
    ui.readKey = key;
    try {
      ui.read = JSON.parse(localStorage.getItem(key) || "{}");
    } catch {
      ui.read = {};
    }
  }
  return ui.read;
}

/** The person has now seen everything in `place`. */
function markRead(place, messages) {
  const before = ui.read[place] ?? "0";
  const latest = messages.reduce((max, m) => (tsAfter(m.ts, max) ? m.ts : max), before);
  if (latest === before) return;
  ui.read[place] = latest;
  try {
    localStorage.setItem(ui.readKey, JSON.stringify(ui.read));
  } catch {
    // not kept across reloads then
  }
}

/** Messages by others newer than the person's read mark. As in Slack, Slack's own "joined" notes
 * and replies in threads (Slack lists those under Threads) do not count. */
function unreadCount(place, messages) {
  const mark = ui.read[place] ?? "0";
  const reply = (m) => m.thread_ts && m.thread_ts !== m.ts;
  return messages.filter((m) => m.user !== ui.user && !m.subtype && !reply(m) && tsAfter(m.ts, mark)).length;
}

function openHome() {
  ui.place = "home";
  bump();
  return gesture("open_home");
}

async function switchUser(userId) {
  await flushTyping();
  ui.user = userId;
  localStorage.setItem(USER_KEY, userId);
  Object.assign(ui, { pickers: {}, drafts: {}, menu: null, confirm: null, restored: null, reveal: null });
  state = state ? { ...state, me: null } : null;
  drawn = null;
  refresh();
  await openHome();
}

async function runCommand(channelId, text) {
  const data = await gesture("command", { text, channel: channelId });
  if (data) ui.composer[channelId] = "";
  bump();
}

/** Write in a channel as the person: mentions typed as @Name become <@U…>, and &, <, > are sent as
 * entities, the way Slack's client sends them. */
async function say(channelId, text) {
  const channel = state.channels.find((c) => c.id === channelId);
  const encoded = encodeMentions(escapeTyped(text));
  if (state.bot && encoded.includes(`<@${state.bot.id}>`) && channel && !channel.bot_is_member)
    toast(
      `Round Robin is not in #${channel.name}: Slack would offer to invite it, and the mention reaches no app.`,
      "hint",
    );
  const data = await gesture("say", { channel: channelId, text: encoded });
  if (data) ui.composer[channelId] = "";
  bump();
}

function escapeTyped(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function encodeMentions(text) {
  const names = [
    ...(state.bot ? [[state.bot.name, state.bot.id]] : []),
    ...state.people.flatMap((p) => [
      [p.real_name, p.id],
      [p.name, p.id],
    ]),
  ].sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [name, id] of names) {
    const literal = name.replace(/[.*+?^$()|[\]{}\\]/g, "\\$&");
    const pattern = new RegExp(`@${literal}(?![\\p{L}\\p{N}_-])`, "giu");
    out = out.replace(pattern, `<@${id}>`);
  }
  return out;
}

async function join(channelId) {
  if (await gesture("join", { channel: channelId })) ui.focusWhenShown = `composer|${channelId}`;
  bump();
}

async function clickInMessage(m, el, block, extra) {
  const seen = drawn;
  await flushTyping();
  const body = {
    channel: m.channel,
    ts: m.ts,
    action_id: el.action_id,
    block_id: block.block_id,
    seen,
    ...extra,
  };
  if (el.type === "button" && el.value !== undefined) body.value = el.value;
  return gesture("click_message", body);
}

async function putOnCall(schedule) {
  const chosen = ui.oncall[schedule.id] ?? schedule.on_call;
  const data = await post("/api/pagerduty/on_call", { schedule_id: schedule.id, user_ids: chosen });
  if (data) delete ui.oncall[schedule.id];
  bump();
}

// --- pickers, menus, dialogs (client-side UI state) -------------------------------------------------

function bump() {
  uiVersion += 1;
  render();
}

function openPicker(key, el, block, source, viewId) {
  ui.pickers = { [key]: { open: true, query: "", active: 0, options: [] } };
  ui.menu = null;
  ui.focusNext = `${key}|q`;
  bump();
  if (source === "external") suggest(key, el, block, "", viewId);
}

let suggestTimer = null;
function queryPicker(key, el, block, source, query, viewId) {
  const picker = ui.pickers[key] || { options: [] };
  ui.pickers = { [key]: { ...picker, open: true, query, active: 0 } };
  ui.focusNext = `${key}|q`;
  bump();
  if (source === "external") {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(() => suggest(key, el, block, query, viewId), SUGGEST_DELAY_MS);
  }
}

async function suggest(key, el, block, query, viewId) {
  const picker = ui.pickers[key];
  if (!picker) return;
  if (query.length < (el.min_query_length ?? 3)) {
    picker.options = [];
    bump();
    return;
  }
  picker.loading = true;
  const data = await gesture("suggest", {
    action_id: el.action_id,
    block_id: block.block_id,
    view_id: viewId,
    query,
  });
  const current = ui.pickers[key];
  if (current && current.query === query) {
    current.options = data ? data.options : [];
    current.loading = false;
    bump();
  }
}

function movePicker(key, active) {
  if (ui.pickers[key]) ui.pickers[key].active = active;
  ui.focusNext = `${key}|q`;
  bump();
}

function closePicker(key, focusKey) {
  delete ui.pickers[key];
  if (focusKey) ui.focusNext = focusKey;
  bump();
}

function setMenu(key, focusKey) {
  ui.menu = key;
  ui.pickers = {};
  if (focusKey) ui.focusNext = focusKey;
  bump();
}

function openConfirm(dialog, run) {
  ui.confirm = { dialog, run };
  ui.focusNext = dialog.style === "danger" ? "confirm|deny" : "confirm|yes";
  bump();
}

function answerConfirm(yes) {
  const pending = ui.confirm;
  ui.confirm = null;
  bump();
  if (yes && pending) pending.run();
}

function toast(text, kind = "error") {
  const item = { text: String(text), kind };
  ui.toasts.push(item);
  renderToasts();
  if (kind === "info" || kind === "hint") {
    // Errors stay until dismissed; notes go away by themselves.
    setTimeout(() => {
      ui.toasts = ui.toasts.filter((t) => t !== item);
      renderToasts();
    }, 6000);
  }
}

// --- rendering ---------------------------------------------------------------------------------

function directory() {
  const people = new Map(state.people.map((p) => [p.id, p.real_name]));
  if (state.bot) people.set(state.bot.id, state.bot.name);
  const channels = new Map(state.channels.map((c) => [c.id, c.name]));
  const groups = new Map(state.usergroups.map((g) => [g.id, g.handle]));
  return {
    app: state.bot,
    user: (id) => people.get(id),
    channel: (id) => channels.get(id),
    group: (id) => groups.get(id),
    openChannel: (id) => channels.has(id) && goTo(`channel:${id}`),
    openPermalink: (url) => {
      // https://<team>.slack.com/archives/C…/p<ts without its dot>: open the channel at that message.
      const found = /\/archives\/([CG][A-Z0-9]+)\/p(\d{7,})/.exec(url);
      if (!found || !channels.has(found[1])) return null;
      return () => {
        ui.reveal = `${found[2].slice(0, -6)}.${found[2].slice(-6)}`;
        goTo(`channel:${found[1]}`);
      };
    },
  };
}

function goTo(place) {
  ui.place = place;
  ui.focusWhenShown = null;
  ui.pickers = {};
  ui.menu = null;
  bump();
}

function makeCtx(surface, view, { interactive = true, errors = {} } = {}) {
  const viewId = view?.id ?? surface;
  const shownId = view?.id; // what the simulated client is told the gesture happened in
  return {
    surface,
    view,
    values: view?.state?.values ?? {},
    errors,
    interactive,
    dir: directory(),
    app: {
      keyFor: (el, block) => `${viewId}|${block.block_id}|${el.action_id}`,
      click: (el, block, extra) => clickElement(el, block, extra, shownId),
      fill: (el, block, value) => fillElement(el, block, value, shownId),
      type: (el, block, key, value, options) =>
        typeInto(el, block, key, value, { ...options, viewId: shownId }),
      draft: (key) => ui.drafts[key],
      confirm: openConfirm,
      picker: (key) => ui.pickers[key] ?? {},
      openPicker: (key, el, block, source) => openPicker(key, el, block, source, shownId),
      queryPicker: (key, el, block, source, query) => queryPicker(key, el, block, source, query, shownId),
      movePicker,
      closePicker,
      menu: () => ui.menu,
      setMenu,
      people: () => state.people,
      channels: () => state.channels,
    },
  };
}

function render() {
  if (!state || state.me !== ui.user) return;
  if (pointerDown) {
    renderPending = true;
    return;
  }
  renderPending = false;
  const names = [state.people, state.channels.map((c) => [c.id, c.name]), state.usergroups];
  readMarks();
  const reading = state.channels.find((c) => `channel:${c.id}` === ui.place);
  if (reading) markRead(ui.place, reading.messages);
  if (ui.place === "messages") markRead("messages", state.dms);
  // Like Slack: a count of what others wrote since the person last looked, in channels they are in,
  // and in their DMs with the app (requests to take, duty notes), on the app and its Messages tab.
  const unread = state.channels.map((c) =>
    c.members.includes(ui.user) ? unreadCount(`channel:${c.id}`, c.messages) : 0,
  );
  const dmUnread = unreadCount("messages", state.dms);
  const memberOf = state.channels.map((c) => c.members.includes(ui.user));
  region("sidebar", [ui.user, ui.place, state.people, names[1], unread, dmUnread, memberOf], () =>
    renderSidebar(unread, dmUnread, memberOf),
  );
  region(
    "main",
    [
      uiVersion,
      ui.place,
      state.home,
      state.channels,
      state.ephemerals,
      state.dms,
      names,
      dmUnread,
      state.rotations,
    ],
    renderMain,
  );
  region("modals", [uiVersion, state.modals, state.errors, names], renderModals);
  const panelPage = {
    oncall: ui.oncall,
    putOnCall,
    toast,
    messageCtx: () => makeCtx("message", null, { interactive: false }),
  };
  region(
    "panel",
    [uiVersion, state.credentials, state.pagerduty, state.usergroups, state.channels, state.people],
    () => renderPanel(state, panelPage),
  );
  region("overlay", [uiVersion, Boolean(ui.confirm)], renderConfirm);
  // Behind a modal (or a confirm dialog) Slack cannot be used, but the panel can: to copy credentials.
  const covered = state.modals.length > 0 || Boolean(ui.confirm);
  document.getElementById("sidebar").inert = covered;
  document.getElementById("main").inert = covered;
  document.getElementById("modals").inert = Boolean(ui.confirm);
  renderToasts();
  renderStatus();
  focusTopModal();
  if (ui.focusNext) {
    const target = document.querySelector(`[data-key="${CSS.escape(ui.focusNext)}"]`);
    ui.focusNext = null;
    target?.focus();
  }
  if (ui.focusWhenShown) {
    const target = document.querySelector(`[data-key="${CSS.escape(ui.focusWhenShown)}"]`);
    if (target) ((ui.focusWhenShown = null), target.focus());
  }
  revealMessage();
  revealErrors();
  drawn = state.version;
}

/** A permalink was opened: bring its message into view and mark it for a moment, as Slack does. */
function revealMessage() {
  if (!ui.reveal || !ui.place.startsWith("channel:")) return;
  const target = document.querySelector(`#main .message[data-ts="${CSS.escape(ui.reveal)}"]`);
  if (!target) return;
  ui.reveal = null;
  target.scrollIntoView({ block: "start" });
  target.classList.add("highlight");
}

function region(id, inputs, build) {
  const root = document.getElementById(id);
  const key = JSON.stringify(inputs);
  if (root.renderedKey === key) return;
  root.renderedKey = key;
  const active = document.activeElement;
  const focus =
    active && root.contains(active) && active.dataset.key
      ? { key: active.dataset.key, ...selection(active) }
      : null;
  const scrolls = new Map(
    [...root.querySelectorAll("[data-scroll-key]")].map((el) => [
      el.dataset.scrollKey,
      { top: el.scrollTop, atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < 24 },
    ]),
  );
  root.replaceChildren(...[build()].flat(Infinity).filter(Boolean));
  // A conversation (data-anchor=bottom) opens at its newest message and follows new ones while the
  // reader is at the bottom; anything else keeps where the reader was.
  for (const el of root.querySelectorAll("[data-scroll-key]")) {
    const before = scrolls.get(el.dataset.scrollKey);
    if (el.dataset.anchor === "bottom" && (!before || before.atBottom)) el.scrollTop = el.scrollHeight;
    else if (before) el.scrollTop = before.top;
  }
  if (focus) {
    const el = root.querySelector(`[data-key="${CSS.escape(focus.key)}"]`);
    if (el) {
      el.focus();
      try {
        if (focus.start !== null && focus.start !== undefined) el.setSelectionRange(focus.start, focus.end);
      } catch {
        // number, date and time inputs have no text selection
      }
    }
  }
}

function selection(el) {
  try {
    return { start: el.selectionStart, end: el.selectionEnd };
  } catch {
    return {};
  }
}

function focusTopModal() {
  const top = state.modals.at(-1)?.id ?? null;
  if (top === topModal) return;
  topModal = top;
  if (!top || ui.focusNext) return;
  const dialog = document.querySelector(".modal.top");
  const first = dialog?.querySelector(
    ".modal-body input, .modal-body textarea, .modal-body select, .modal-body button, .modal-body a.btn",
  );
  (first || dialog?.querySelector(".modal-x"))?.focus();
}

// --- sidebar ---------------------------------------------------------------------------------------

function badge(count) {
  return count > 0
    ? h(
        "span",
        { class: "badge", title: `${count} new` },
        h("span", { class: "visually-hidden" }, ", new messages: "),
        String(count),
      )
    : null;
}

function renderSidebar(unread, dmUnread, memberOf) {
  const me = state.people.find((p) => p.id === ui.user);
  const navItem = (label, place, extra = {}) =>
    h(
      "button",
      {
        type: "button",
        class: `nav-item${ui.place === place || (place === "home" && ui.place === "messages") ? " current" : ""}`,
        "aria-current": ui.place === place ? "page" : null,
        onclick: () => (place === "home" ? openHome() : goTo(place)),
        ...extra,
      },
      label,
    );
  return [
    h(
      "div",
      { class: "team" },
      h("div", { class: "team-name" }, state.team.name),
      h("div", { class: "team-note" }, "simulated Slack workspace"),
    ),
    h(
      "div",
      { class: "switcher" },
      h("label", { for: "user-switcher" }, "Acting as"),
      h(
        "select",
        { id: "user-switcher", onchange: (e) => switchUser(e.target.value) },
        state.people.map((p) =>
          h(
            "option",
            { value: p.id, selected: p.id === ui.user },
            `${p.real_name}${p.is_admin ? " (admin)" : " (member)"}`,
          ),
        ),
      ),
      me
        ? h(
            "div",
            { class: "switcher-note" },
            me.is_admin
              ? "A workspace admin: may connect PagerDuty."
              : "A member: sees status, not the admin controls.",
          )
        : null,
    ),
    h("div", { class: "nav-heading" }, "Apps"),
    navItem(
      [h("span", { class: "app-icon", "aria-hidden": "true" }, "RR"), " Round Robin", badge(dmUnread)],
      "home",
      {
        class: `nav-item${ui.place === "home" || ui.place === "messages" ? " current" : ""}${dmUnread > 0 ? " unread" : ""}`,
        dataset: { nav: "app" },
      },
    ),
    h("div", { class: "nav-heading" }, "Channels"),
    state.channels.map((c, i) =>
      navItem(
        [
          h("span", { class: "hash", "aria-hidden": "true" }, c.is_private ? emojiImage("lock") : "#"),
          ` ${c.name}`,
          badge(unread[i]),
        ],
        `channel:${c.id}`,
        {
          class: `nav-item${ui.place === `channel:${c.id}` ? " current" : ""}${unread[i] > 0 ? " unread" : ""}${memberOf[i] ? "" : " not-member"}`,
          title: memberOf[i] ? null : `You are not in #${c.name}`,
          dataset: { nav: "channel", channelId: c.id },
        },
      ),
    ),
  ];
}

// --- main: the app's Home/Messages tabs, or a channel ------------------------------------------------

function renderMain() {
  if (ui.place.startsWith("channel:")) return renderChannel(ui.place.slice("channel:".length));
  const dmUnread = unreadCount("messages", state.dms);
  const tab = (label, place, count = 0) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: `app-tab${ui.place === place ? " current" : ""}`,
        "aria-selected": ui.place === place ? "true" : "false",
        onclick: () => (place === "home" ? openHome() : goTo(place)),
      },
      label,
      badge(count),
    );
  const header = h(
    "header",
    { class: "main-header" },
    h("span", { class: "app-icon big", "aria-hidden": "true" }, "RR"),
    h("h1", {}, "Round Robin"),
    h(
      "div",
      { class: "app-tabs", role: "tablist", "aria-label": "Round Robin" },
      tab("Home", "home"),
      tab("Messages", "messages", ui.place === "messages" ? 0 : dmUnread),
    ),
  );
  let body;
  if (ui.place === "messages") body = renderAppMessages();
  else if (state.home)
    body = h(
      "div",
      { class: "surface home", dataset: { viewId: state.home.id, surface: "home" } },
      renderBlocks(state.home.blocks, makeCtx("home", state.home)),
    );
  else
    body = h("p", { class: "empty" }, "Opening the Home tab\u2026 (the app publishes it when you open it)");
  const anchor = ui.place === "messages" ? "bottom" : null;
  return [header, h("div", { class: "main-body", dataset: { scrollKey: `main|${ui.place}`, anchor } }, body)];
}

function renderAppMessages() {
  const mine = [
    ...state.dms.map((m) => ({ ...m, kind: "dm" })),
    ...state.ephemerals
      .filter((m) => !state.channels.some((c) => c.id === m.channel))
      .map((m) => ({ ...m, kind: "ephemeral" })),
  ];
  if (!mine.length)
    return h(
      "p",
      { class: "empty" },
      "No messages from Round Robin yet. Its answers to /rr appear in the channel where you typed it.",
    );
  return h("div", { class: "messages" }, sortByTs(mine).map(message));
}

function renderChannel(channelId) {
  const channel = state.channels.find((c) => c.id === channelId);
  if (!channel) return h("p", { class: "empty" }, "No such channel.");
  const own = channel.messages.map((m) => ({ ...m, channel: channelId, kind: "message" }));
  const isReply = (m) => m.thread_ts && m.thread_ts !== m.ts;
  const replies = new Map();
  for (const m of own.filter(isReply)) replies.set(m.thread_ts, [...(replies.get(m.thread_ts) || []), m]);
  const items = sortByTs([
    ...own.filter((m) => !isReply(m)),
    ...state.ephemerals.filter((m) => m.channel === channelId).map((m) => ({ ...m, kind: "ephemeral" })),
  ]);
  const draft = ui.composer[channelId] ?? "";
  const inputId = `composer-${channelId}`;
  const member = channel.members.includes(ui.user);
  // An example that works: a rotation that exists (one telling this channel first), or none at all.
  const example = state.rotations.find((r) => r.channels.includes(channelId)) ?? state.rotations[0] ?? null;
  const placeholder = example
    ? `Message #${channel.name} \u2014 try @Round Robin ${example.code} and your question, or /rr help`
    : `Message #${channel.name} \u2014 try /rr help; once a rotation exists, ask it with @Round Robin and its code`;
  const form = member
    ? h(
        "form",
        {
          class: "composer",
          onsubmit: (e) => {
            e.preventDefault();
            const text = e.target.elements.message.value.trim();
            if (!text) return;
            if (text.startsWith("/")) runCommand(channelId, text);
            else say(channelId, text);
          },
        },
        h("label", { for: inputId, class: "visually-hidden" }, `Message #${channel.name}`),
        h("input", {
          id: inputId,
          name: "message",
          class: "composer-input",
          autocomplete: "off",
          placeholder,
          value: draft,
          dataset: { key: `composer|${channelId}` },
          oninput: (e) => (ui.composer[channelId] = e.target.value),
        }),
        h("button", { type: "submit", class: "btn btn-primary" }, "Send"),
      )
    : joinBar(channel);
  return [
    h(
      "header",
      { class: "main-header" },
      h("h1", {}, `#${channel.name}`),
      channel.topic ? h("span", { class: "topic", title: "Channel topic" }, channel.topic) : null,
      h("span", { class: "members" }, `${channel.members.length} members`),
    ),
    h(
      "div",
      {
        class: "main-body channel",
        dataset: { scrollKey: `main|${channelId}`, channelId, anchor: "bottom" },
      },
      items.length
        ? h(
            "div",
            { class: "messages" },
            items.map((m) => [message(m), thread(m, replies.get(m.ts))]),
          )
        : h(
            "p",
            { class: "empty" },
            `This is the very beginning of #${channel.name}. Round Robin posts here when duty changes for a rotation that tells this channel; ask it with @Round Robin CODE.`,
          ),
    ),
    form,
  ];
}

/** In place of the composer in a channel the person is not in: Slack's preview bar. */
function joinBar(channel) {
  if (channel.is_private)
    return h("div", { class: "join-bar" }, `#${channel.name} is private: a member can add you.`);
  return h(
    "div",
    { class: "join-bar", role: "region", "aria-label": `Join #${channel.name}` },
    h("span", {}, "You are viewing ", h("strong", {}, `#${channel.name}`), ". Join it to write here."),
    h(
      "button",
      { type: "button", class: "btn btn-primary", onclick: () => join(channel.id) },
      "Join channel",
    ),
  );
}

function thread(parent, replies) {
  if (!replies?.length) return null;
  const count = `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`;
  return h(
    "div",
    { class: "thread", role: "group", "aria-label": `Thread: ${count}`, dataset: { threadTs: parent.ts } },
    h("div", { class: "thread-count" }, count),
    sortByTs(replies).map(message),
  );
}

/** A message; the app's own can be clicked (buttons in DMs and channels), as in Slack. */
function message(m) {
  const ctx = makeCtx("message", null, { interactive: Boolean(m.channel) });
  ctx.app = { ...ctx.app, click: (el, block, extra) => clickInMessage(m, el, block, extra) };
  return renderMessage(m, ctx);
}

// --- modals and the confirm dialog -------------------------------------------------------------------

function renderModals() {
  if (!state.modals.length) return [];
  const last = state.modals.length - 1;
  return [
    h("div", { class: "modal-backdrop" }),
    ...state.modals.map((view, i) => modal(view, i, i === last)),
  ];
}

function modal(view, depth, top) {
  const titleId = `modal-title-${view.id}`;
  const ctx = makeCtx("modal", view, { interactive: top, errors: top ? state.errors : {} });
  return h(
    "div",
    {
      class: `modal ${top ? "top" : "under"}`,
      role: "dialog",
      "aria-modal": top ? "true" : null,
      "aria-labelledby": titleId,
      inert: !top,
      style: `--depth: ${depth}`,
      dataset: { viewId: view.id, callbackId: view.callback_id || "", depth: String(depth) },
    },
    h(
      "header",
      { class: "modal-header" },
      depth > 0
        ? h(
            "button",
            { type: "button", class: "modal-back", "aria-label": "Back", onclick: closeModal },
            "\u2190",
          )
        : null,
      h("span", { class: "app-icon", "aria-hidden": "true" }, "RR"),
      h("h2", { id: titleId }, plainNodes(view.title)),
      h(
        "button",
        {
          type: "button",
          class: "modal-x",
          "aria-label": "Close dialog",
          title: "Close",
          onclick: closeModal,
        },
        "\u00d7",
      ),
    ),
    h(
      "div",
      { class: "modal-body surface", dataset: { scrollKey: `modal|${view.id}` } },
      renderBlocks(view.blocks, ctx),
    ),
    h(
      "footer",
      { class: "modal-footer" },
      h(
        "button",
        { type: "button", class: "btn", dataset: { modalButton: "close" }, onclick: closeModal },
        plainText(view.close) || "Cancel",
      ),
      view.submit
        ? h(
            "button",
            {
              type: "button",
              class: "btn btn-primary",
              dataset: { modalButton: "submit" },
              onclick: submitModal,
            },
            plainText(view.submit),
          )
        : null,
    ),
  );
}

function renderConfirm() {
  if (!ui.confirm) return [];
  const d = ui.confirm.dialog;
  const dir = directory();
  return h(
    "div",
    { class: "confirm-backdrop" },
    h(
      "div",
      {
        class: "confirm",
        role: "alertdialog",
        "aria-modal": "true",
        "aria-labelledby": "confirm-title",
        "aria-describedby": "confirm-text",
      },
      h("h2", { id: "confirm-title" }, d.title?.text ? plainNodes(d.title) : "Are you sure?"),
      h("div", { id: "confirm-text", class: "confirm-text" }, textObject(d.text, dir)),
      h(
        "div",
        { class: "confirm-buttons" },
        h(
          "button",
          {
            type: "button",
            class: "btn",
            dataset: { key: "confirm|deny" },
            onclick: () => answerConfirm(false),
          },
          plainText(d.deny) || "Cancel",
        ),
        h(
          "button",
          {
            type: "button",
            class: `btn ${d.style === "danger" ? "btn-danger" : "btn-primary"}`,
            dataset: { key: "confirm|yes" },
            onclick: () => answerConfirm(true),
          },
          plainText(d.confirm) || "Yes",
        ),
      ),
    ),
  );
}

// --- status and toasts -----------------------------------------------------------------------------------

function renderStatus() {
  const el = document.getElementById("status");
  const text = ui.lost
    ? "Lost contact with the demo server; retrying\u2026"
    : ui.busy
      ? "Sending to Round Robin\u2026"
      : "";
  el.textContent = text;
  el.className = ui.lost ? "status lost" : ui.busy ? "status busy" : "status";
}

function renderToasts() {
  const root = document.getElementById("toasts");
  root.replaceChildren(
    ...ui.toasts.map((t) =>
      h(
        "div",
        {
          class: `toast ${t.kind}`,
          role: t.kind === "info" || t.kind === "hint" ? "status" : "alert",
          dataset: { kind: t.kind },
        },
        h("div", { class: "toast-text" }, t.text),
        h(
          "button",
          {
            type: "button",
            class: "toast-close",
            "aria-label": "Dismiss",
            onclick: () => {
              ui.toasts = ui.toasts.filter((x) => x !== t);
              renderToasts();
            },
          },
          "\u00d7",
        ),
      ),
    ),
  );
}

// --- global keys and clicks ----------------------------------------------------------------------------

document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (ui.confirm) answerConfirm(false);
  else if (ui.menu) setMenu(null, `${ui.menu}|toggle`);
  else if (Object.keys(ui.pickers).length) ((ui.pickers = {}), bump());
  else if (state?.modals.length && !e.defaultPrevented) closeModal();
});

// Replacing the element under a pressed mouse button would swallow its click: while a button is
// down, drawing waits, and happens right after the click (or the mouseup, when there is no click).
function releasePointer() {
  pointerDown = false;
  if (renderPending) render();
}
document.addEventListener("mousedown", () => (pointerDown = true), true);
document.addEventListener("mouseup", () => setTimeout(releasePointer, 0));

document.addEventListener("click", (e) => {
  // A click outside the open menu or picker closes it (after the clicked element did its work).
  const inside = e.target.closest?.("[data-picker-key]")?.dataset.pickerKey;
  const open = ui.menu || Object.keys(ui.pickers)[0];
  if (open && inside !== open) {
    ui.menu = null;
    ui.pickers = {};
    uiVersion += 1;
    renderPending = true;
  }
  releasePointer();
});

localStorage.setItem(USER_KEY, ui.user);
pollLoop();
openHome();
