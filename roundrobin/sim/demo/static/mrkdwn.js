// Slack's mrkdwn, rendered as DOM nodes the way Slack's client shows it: *bold*, _italic_, ~strike~,
// `code`, ```pre```, > quotes, <@U1> mentions, <#C1> channels, <!subteam^S1> groups, <!date^...>
// dates in the reader's time zone, <url|label> links, &lt; entities and :emoji: shortcodes.

import { h, safeUrl } from "./dom.js";
import { emojiNodes, emojiText } from "./emoji.js";

const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'" };
// A placeholder character per atomic token (code span or <...>), so emphasis can wrap them.
const BASE = 0xe000;
const ATOM = /`[^`\n]+`|<[^<>\n]+>/g;
const EMPHASIS = /(?<![\p{L}\p{N}])([*_~])(?!\s)([^\n]*?[^\s\n])\1(?![\p{L}\p{N}])/u;
const TAGS = { "*": "strong", _: "em", "~": "del" };

export function decode(text) {
  return String(text).replace(/&(lt|gt|amp|quot|#39);/g, (m) => ENTITIES[m]);
}

/** A mrkdwn string as a DocumentFragment. `dir` resolves ids: {user(id), channel(id), group(id), openChannel(id)}. */
export function mrkdwn(text, dir) {
  const frag = document.createDocumentFragment();
  const parts = String(text ?? "").split("```");
  parts.forEach((part, i) => {
    const closed = i % 2 === 1 && i < parts.length - 1;
    if (closed) frag.append(h("pre", { class: "mrkdwn-pre" }, decode(part.replace(/^\n/, ""))));
    else frag.append(paragraphs(i % 2 === 1 ? "```" + part : part, dir));
  });
  return frag;
}

/** A plain_text object's text, for places that hold only text (attributes, <option>): emoji
 * shortcodes become Unicode characters, unless the object says emoji: false. */
export function plainText(obj) {
  const text = obj?.text ?? "";
  return obj?.emoji === false ? text : emojiText(text);
}

/** A plain_text object as nodes: emoji shortcodes drawn as pictures (unless emoji: false). */
export function plainNodes(obj) {
  const text = obj?.text ?? "";
  return obj?.emoji === false ? document.createTextNode(text) : emojiNodes(text);
}

/** A text object (plain_text or mrkdwn) as nodes. */
export function textObject(obj, dir) {
  if (!obj) return document.createDocumentFragment();
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, dir);
  return plainNodes(obj);
}

function paragraphs(text, dir) {
  const frag = document.createDocumentFragment();
  let quote = null;
  text.split("\n").forEach((line, i, lines) => {
    const quoted = /^(&gt;|>) ?/.exec(line);
    if (quoted) {
      quote = quote || frag.appendChild(h("blockquote", { class: "mrkdwn-quote" }));
      if (quote.childNodes.length) quote.append(h("br"));
      quote.append(inline(line.slice(quoted[0].length), dir));
      return;
    }
    quote = null;
    frag.append(inline(line, dir));
    if (i < lines.length - 1 && !/^(&gt;|>) ?/.test(lines[i + 1] || "")) frag.append(h("br"));
  });
  return frag;
}

function inline(line, dir) {
  const atoms = [];
  const masked = line.replace(ATOM, (m) => {
    atoms.push(m);
    return String.fromCharCode(BASE + atoms.length - 1);
  });
  return emphasis(masked, atoms, dir);
}

function emphasis(text, atoms, dir) {
  const frag = document.createDocumentFragment();
  let rest = text;
  while (rest) {
    const m = EMPHASIS.exec(rest);
    if (!m) {
      frag.append(plain(rest, atoms, dir));
      break;
    }
    frag.append(plain(rest.slice(0, m.index), atoms, dir));
    frag.append(h(TAGS[m[1]], {}, emphasis(m[2], atoms, dir)));
    rest = rest.slice(m.index + m[0].length);
  }
  return frag;
}

function plain(text, atoms, dir) {
  const frag = document.createDocumentFragment();
  let buffer = "";
  const flush = () => {
    if (buffer) frag.append(emojiNodes(decode(buffer)));
    buffer = "";
  };
  for (const ch of text) {
    const index = ch.charCodeAt(0) - BASE;
    if (index >= 0 && index < atoms.length) {
      flush();
      frag.append(atom(atoms[index], dir));
    } else {
      buffer += ch;
    }
  }
  flush();
  return frag;
}

function atom(token, dir) {
  if (token.startsWith("`")) return h("code", { class: "mrkdwn-code" }, decode(token.slice(1, -1)));
  const body = token.slice(1, -1);
  const [target, ...labelParts] = body.split("|");
  const label = labelParts.length ? decode(labelParts.join("|")) : null;
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return h("span", { class: "mention", dataset: { userId: id } }, "@" + (dir.user(id) ?? label ?? id));
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = dir.channel(id) ?? label ?? id;
    return h(
      "a",
      { class: "mention channel-link", href: "#", onclick: (e) => (e.preventDefault(), dir.openChannel(id)) },
      "#" + name,
    );
  }
  if (target.startsWith("!subteam^")) {
    const id = target.slice("!subteam^".length);
    const handle = dir.group(id) ?? (label ? label.replace(/^@/, "") : id);
    return h("span", { class: "mention", dataset: { groupId: id } }, "@" + handle);
  }
  if (target.startsWith("!date^")) return slackDate(target, label);
  if (["!here", "!channel", "!everyone"].includes(target))
    return h("span", { class: "mention" }, "@" + target.slice(1));
  const href = safeUrl(decode(target));
  if (href && /^(https?:|mailto:)/.test(decode(target))) {
    // A link to a message in this workspace (a permalink) opens its channel here, as Slack's client does.
    const open = dir.openPermalink?.(decode(target));
    return h(
      "a",
      {
        href,
        target: "_blank",
        rel: "noopener noreferrer",
        onclick: open && ((e) => (e.preventDefault(), open())),
      },
      label ?? decode(target).replace(/^mailto:/, ""),
    );
  }
  // A link Slack would not follow (javascript:, unknown schemes): its label, as text.
  return document.createTextNode(label ?? decode(token));
}

// --- dates -----------------------------------------------------------------------------------

function slackDate(target, fallback) {
  const [, rawTs, format = "{date}", link] = target.split("^");
  const ts = Number(rawTs);
  if (!Number.isFinite(ts)) return document.createTextNode(fallback ?? target);
  const date = new Date(ts * 1000);
  const text = format.replace(/\{(\w+)\}/g, (m, token) => formatToken(token, date) ?? m);
  const node = h("time", { datetime: date.toISOString(), title: fallback ?? date.toString() }, text);
  const href = link ? safeUrl(link) : null;
  return href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }, node) : node;
}

function ordinal(n) {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th";
  return `${n}${suffix}`;
}

function dayOffset(date) {
  const start = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return Math.round((start(date) - start(new Date())) / 86400000);
}

function pretty(date, otherwise) {
  return { 0: "today", "-1": "yesterday", 1: "tomorrow" }[dayOffset(date)] ?? otherwise;
}

function formatToken(token, date) {
  const month = (style) => date.toLocaleString(undefined, { month: style });
  const long = () => `${month("long")} ${ordinal(date.getDate())}, ${date.getFullYear()}`;
  const short = () => `${month("short")} ${date.getDate()}, ${date.getFullYear()}`;
  const weekday = () => date.toLocaleString(undefined, { weekday: "long" });
  const pad = (n) => String(n).padStart(2, "0");
  switch (token) {
    case "date_num":
      return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
    case "date":
      return long();
    case "date_short":
      return short();
    case "date_long":
      return `${weekday()}, ${long()}`;
    case "date_pretty":
      return pretty(date, long());
    case "date_short_pretty":
      return pretty(date, short());
    case "date_long_pretty":
      return pretty(date, `${weekday()}, ${long()}`);
    case "time":
      return date.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
    case "time_secs":
      return date.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" });
    case "ago":
      return ago(date);
    default:
      return null;
  }
}

export function ago(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const [n, unit] =
    s < 60
      ? [0, ""]
      : s < 3600
        ? [Math.floor(s / 60), "minute"]
        : s < 86400
          ? [Math.floor(s / 3600), "hour"]
          : [Math.floor(s / 86400), "day"];
  if (!unit) return "just now";
  const words = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return future ? `in ${words}` : `${words} ago`;
}
