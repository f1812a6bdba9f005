// The "Behind the scenes" panel (what Slack and PagerDuty hold: credentials to paste, schedules and
// who is on call, user groups, channel messages) and the message renderer it shares with channels.

import { renderBlocks } from "./blocks.js";
import { h } from "./dom.js";
import { emojiImage } from "./emoji.js";
import { mrkdwn } from "./mrkdwn.js";

/** Messages in the order Slack shows them (ts: "<seconds>.<counter>"). */
export function sortByTs(messages) {
  const key = (ts) =>
    String(ts || "0")
      .split(".")
      .map(Number);
  return messages.sort((a, b) => {
    const [x, y] = [key(a.ts), key(b.ts)];
    return x[0] - y[0] || (x[1] || 0) - (y[1] || 0);
  });
}

/** One message, the app's or a person's (m.kind "ephemeral": only the reader saw it). */
export function message(m, ctx, { compact = false } = {}) {
  const seconds = Number(String(m.ts).split(".")[0]);
  const when = new Date(seconds * 1000);
  if (m.subtype === "channel_join") {
    // Slack's own note, drawn small: "Alan Turing joined #support."
    const who = ctx.dir.user(m.user) ?? m.user;
    const where = ctx.dir.channel(m.channel);
    return h(
      "div",
      { class: "message system", dataset: { ts: m.ts, kind: "join", author: m.user } },
      `${who} joined${where ? ` #${where}` : ""}.`,
    );
  }
  // People write text: their own blocks are rich_text, which Slack draws from the same text.
  const fromApp = !m.user || m.user === ctx.dir.app?.id;
  const person = fromApp ? null : (ctx.dir.user(m.user) ?? m.user);
  const body =
    m.blocks?.length && !person
      ? renderBlocks(m.blocks, ctx)
      : h("div", { class: "message-text" }, mrkdwn(m.text || "", ctx.dir));
  const initials = person
    ? person
        .split(/\s+/)
        .map((word) => word[0])
        .join("")
        .slice(0, 2)
    : "RR";
  return h(
    "article",
    {
      class: `message ${m.kind || ""}${compact ? " compact" : ""}${person ? " from-person" : " from-app"}`,
      dataset: { ts: m.ts, kind: m.kind || "message", author: person ? m.user : "app" },
    },
    compact
      ? null
      : h("span", { class: `avatar${person ? " person" : ""}`, "aria-hidden": "true" }, initials),
    h(
      "div",
      { class: "message-main" },
      h(
        "div",
        { class: "message-meta" },
        h("strong", {}, person ?? "Round Robin"),
        person ? null : h("span", { class: "app-badge" }, "APP"),
        h(
          "time",
          { datetime: when.toISOString() },
          when.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" }),
        ),
      ),
      m.kind === "ephemeral"
        ? h("div", { class: "only-you" }, emojiImage("eye"), " Only visible to you")
        : null,
      h("div", { class: "message-body" }, body),
    ),
  );
}

/** The panel. `page`: {oncall (schedule id -> chosen ids), putOnCall(schedule), toast(text, kind), messageCtx()}. */
export function renderPanel(state, page) {
  const people = new Map(state.people.map((p) => [p.id, p.real_name]));
  const pdNames = new Map(state.pagerduty.users.map((u) => [u.id, u.name]));
  const recent = sortByTs(
    state.channels.flatMap((c) => c.messages.map((m) => ({ ...m, channelName: c.name }))),
  )
    .reverse()
    .slice(0, 8);
  return [
    h("h2", {}, "Behind the scenes"),
    h(
      "p",
      { class: "panel-note" },
      "What Slack and PagerDuty hold while you click. Both are simulated on this machine; the Round Robin app between them is the real one.",
    ),
    section(
      "Demo credentials",
      "credentials",
      h("p", { class: "panel-note" }, "Paste these in Settings \u203a PagerDuty \u203a Connect."),
      h(
        "dl",
        { class: "credentials" },
        credential("API key", state.credentials.api_key, "api_key", page),
        credential("OAuth Client ID", state.credentials.client_id, "client_id", page),
        credential("OAuth Client Secret", state.credentials.client_secret, "client_secret", page),
      ),
    ),
    section(
      "PagerDuty (simulated)",
      "pagerduty",
      h(
        "p",
        { class: "panel-note" },
        `Round Robin syncs every ${state.pagerduty.sync_every_seconds} s, or at once on `,
        h("strong", {}, "Sync now"),
        " (Settings \u203a PagerDuty).",
      ),
      state.pagerduty.schedules.map((s) => schedule(s, pdNames, state, page)),
      h(
        "details",
        { class: "pd-users" },
        h("summary", {}, `${state.pagerduty.users.length} PagerDuty users`),
        h(
          "ul",
          {},
          state.pagerduty.users.map((u) =>
            h(
              "li",
              {},
              `${u.name} \u00b7 ${u.email}`,
              u.in_slack ? null : h("span", { class: "tag warn" }, "not in Slack"),
            ),
          ),
        ),
      ),
    ),
    section(
      "Slack user groups",
      "usergroups",
      h(
        "ul",
        { class: "groups" },
        state.usergroups.map((g) =>
          h(
            "li",
            { dataset: { groupId: g.id, handle: g.handle } },
            h("strong", {}, `@${g.handle}`),
            ` ${g.name} `,
            h("span", { class: `tag ${g.enabled ? "ok" : "off"}` }, g.enabled ? "enabled" : "disabled"),
            h(
              "div",
              { class: "group-members" },
              g.users.length ? g.users.map((u) => people.get(u) || u).join(", ") : "no members",
            ),
          ),
        ),
      ),
    ),
    section(
      "Channel messages",
      "messages",
      recent.length
        ? h(
            "div",
            { class: "feed" },
            recent.map((m) =>
              h(
                "div",
                { class: "feed-item", dataset: { channel: m.channelName } },
                h("div", { class: "feed-channel" }, `#${m.channelName}`),
                message(m, page.messageCtx(), { compact: true }),
              ),
            ),
          )
        : h(
            "p",
            { class: "panel-note" },
            "None yet. Round Robin posts in a rotation's channels when duty changes.",
          ),
    ),
  ];
}

function section(title, name, ...children) {
  return h(
    "section",
    { class: "panel-section", dataset: { panel: name }, "aria-label": title },
    h("h3", {}, title),
    children,
  );
}

function credential(label, value, field, page) {
  return [
    h("dt", {}, label),
    h(
      "dd",
      {},
      h("code", { dataset: { credential: field } }, value),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "aria-label": `Copy ${label}`,
          onclick: () => copy(value, label, page.toast),
        },
        "Copy",
      ),
    ),
  ];
}

async function copy(text, label, toast) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${label} copied`, "info");
  } catch {
    toast(`Copy it by hand: ${text}`, "info");
  }
}

function schedule(s, pdNames, state, page) {
  const onCall = s.on_call.length ? s.on_call.map((id) => pdNames.get(id) || id).join(", ") : "nobody";
  const chosen = page.oncall[s.id] ?? s.on_call;
  const ordered = [
    ...s.users,
    ...state.pagerduty.users.map((u) => u.id).filter((id) => !s.users.includes(id)),
  ];
  const controlId = `oncall-${s.id}`;
  let control;
  if (s.version === 3) {
    control = h(
      "fieldset",
      { class: "oncall-choices" },
      h("legend", {}, `On call in ${s.name}`),
      ordered.map((id) =>
        h(
          "label",
          {},
          h("input", {
            type: "checkbox",
            value: id,
            checked: chosen.includes(id),
            onchange: (e) => {
              const set = new Set(page.oncall[s.id] ?? s.on_call);
              if (e.target.checked) set.add(id);
              else set.delete(id);
              page.oncall[s.id] = [...set];
            },
          }),
          ` ${pdNames.get(id) || id}`,
        ),
      ),
    );
  } else {
    control = [
      h("label", { for: controlId, class: "visually-hidden" }, `Who is on call in ${s.name}`),
      h(
        "select",
        { id: controlId, onchange: (e) => (page.oncall[s.id] = e.target.value ? [e.target.value] : []) },
        ordered.map((id) => h("option", { value: id, selected: chosen[0] === id }, pdNames.get(id) || id)),
        h("option", { value: "", selected: !chosen.length }, "Nobody"),
      ),
    ];
  }
  return h(
    "div",
    { class: "pd-schedule", dataset: { scheduleId: s.id } },
    h(
      "div",
      { class: "pd-schedule-name" },
      h("strong", {}, s.name),
      h("span", { class: "tag" }, s.version === 3 ? "shift-based" : "layer-based"),
    ),
    h("div", { class: "pd-oncall" }, "On call now: ", h("span", { class: "pd-oncall-names" }, onCall)),
    h(
      "div",
      { class: "pd-control" },
      control,
      h(
        "button",
        { type: "button", class: "btn btn-small", onclick: () => page.putOnCall(s) },
        "Put on call",
      ),
    ),
  );
}
