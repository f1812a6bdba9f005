// Block Kit, drawn from the exact JSON the app published. Every block and element carries
// data-block-type / data-block-id / data-action-id so tests (and curious people) can find them.
// A block or element this renderer does not know is shown plainly, never hidden.
//
// ctx: {surface, view, values, errors, interactive, dir, app} where app is the controller (app.js):
// click(element, block, extra), fill(element, block, value), confirm(dialog, run), suggest(...),
// keyFor(element, block), picker(key), menu(key), setMenu(key), draft(key), type(...).

import { h, safeUrl, uid } from "./dom.js";
import { emojiNodes } from "./emoji.js";
import { plainNodes, plainText, textObject } from "./mrkdwn.js";

const USER_PICKERS = ["users_select", "multi_users_select"];
const CHANNEL_PICKERS = [
  "conversations_select",
  "multi_conversations_select",
  "channels_select",
  "multi_channels_select",
];
const EXTERNAL_PICKERS = ["external_select", "multi_external_select"];
const TEXT_INPUTS = {
  plain_text_input: "text",
  number_input: "number",
  email_text_input: "email",
  url_text_input: "url",
};

export function renderBlocks(blocks, ctx) {
  return (blocks || []).map((block) => renderBlock(block, ctx));
}

function renderBlock(block, ctx) {
  const render = BLOCKS[block.type];
  const node = render ? render(block, ctx) : unsupported("block", block);
  node.classList.add("block", `block-${block.type}`);
  node.dataset.blockType = block.type;
  if (block.block_id) node.dataset.blockId = block.block_id;
  return node;
}

const BLOCKS = {
  header: (block) => h("h2", {}, plainNodes(block.text)),
  divider: () => h("hr"),
  section(block, ctx) {
    const body = h("div", { class: "section-body" });
    if (block.text) body.append(h("div", { class: "section-text" }, textObject(block.text, ctx.dir)));
    if (block.fields?.length) {
      body.append(
        h(
          "div",
          { class: "section-fields" },
          block.fields.map((f) => h("div", { class: "section-field" }, textObject(f, ctx.dir))),
        ),
      );
    }
    const node = h("div", {}, body);
    if (block.accessory)
      node.append(h("div", { class: "section-accessory" }, renderElement(block.accessory, block, ctx)));
    return node;
  },
  context(block, ctx) {
    return h(
      "div",
      {},
      (block.elements || []).map((el) =>
        el.type === "image"
          ? image(el, "context-image")
          : h("span", { class: "context-item" }, textObject(el, ctx.dir)),
      ),
    );
  },
  actions(block, ctx) {
    return h(
      "div",
      {},
      (block.elements || []).map((el) => renderElement(el, block, ctx)),
    );
  },
  image(block) {
    return h(
      "figure",
      {},
      block.title ? h("figcaption", {}, plainNodes(block.title)) : null,
      image(block, "block-image-img"),
    );
  },
  input(block, ctx) {
    const error = ctx.errors?.[block.block_id];
    const id = uid("input");
    const labelId = uid("label");
    const group = ["radio_buttons", "checkboxes"].includes(block.element?.type);
    const label = h(
      group ? "div" : "label",
      { class: "input-label", id: labelId, for: group ? null : id },
      plainNodes(block.label),
      block.optional ? h("span", { class: "optional" }, " (optional)") : null,
    );
    const control = renderElement(block.element || { type: "missing" }, block, ctx, {
      id,
      labelId,
      invalid: Boolean(error),
    });
    const hintId = block.hint ? uid("hint") : null;
    const errorId = error ? uid("error") : null;
    const described = [errorId, hintId].filter(Boolean).join(" ");
    const target = control.matches?.("input, textarea, select")
      ? control
      : control.querySelector?.("input, textarea, select");
    if (target && described) target.setAttribute("aria-describedby", described);
    return h(
      "div",
      { class: error ? "has-error" : "" },
      label,
      control,
      error ? h("div", { class: "field-error", id: errorId, role: "alert" }, emojiNodes(error)) : null,
      block.hint ? h("div", { class: "hint", id: hintId }, plainNodes(block.hint)) : null,
    );
  },
};

function image(el, cls) {
  const src =
    safeUrl(el.image_url) || (String(el.image_url || "").startsWith("data:image/") ? el.image_url : null);
  return h("img", { class: cls, src, alt: el.alt_text || "", title: el.title?.text || el.alt_text || "" });
}

export function unsupported(kind, json) {
  return h(
    "div",
    { class: "unsupported", dataset: { unsupported: json?.type ?? "?" } },
    h("strong", {}, `unsupported ${kind}: ${json?.type ?? "?"}`),
    h("pre", {}, JSON.stringify(json, null, 2)),
  );
}

// --- elements ----------------------------------------------------------------------------------

export function renderElement(el, block, ctx, field = {}) {
  let node;
  if (el.type === "button") node = button(el, block, ctx);
  else if (el.type === "overflow") node = overflow(el, block, ctx);
  else if (el.type === "image") node = image(el, "element-image");
  else if (el.type === "static_select") node = nativeSelect(el, block, ctx, field);
  else if (el.type === "multi_static_select")
    node = picker(el, block, ctx, field, { multi: true, source: "static" });
  else if (USER_PICKERS.includes(el.type))
    node = picker(el, block, ctx, field, { multi: el.type.startsWith("multi_"), source: "users" });
  else if (CHANNEL_PICKERS.includes(el.type))
    node = picker(el, block, ctx, field, { multi: el.type.startsWith("multi_"), source: "channels" });
  else if (EXTERNAL_PICKERS.includes(el.type))
    node = picker(el, block, ctx, field, { multi: el.type.startsWith("multi_"), source: "external" });
  else if (el.type in TEXT_INPUTS) node = textInput(el, block, ctx, field);
  else if (el.type === "radio_buttons") node = choices(el, block, ctx, field, "radio");
  else if (el.type === "checkboxes") node = choices(el, block, ctx, field, "checkbox");
  else if (el.type === "datepicker") node = dateInput(el, block, ctx, field, "date", "selected_date");
  else if (el.type === "timepicker") node = dateInput(el, block, ctx, field, "time", "selected_time");
  else if (el.type === "datetimepicker")
    node = dateInput(el, block, ctx, field, "datetime-local", "selected_date_time");
  else return unsupported("element", el);
  node.dataset.elementType = el.type;
  if (el.action_id) node.dataset.actionId = el.action_id;
  if (block.block_id) node.dataset.blockId = block.block_id;
  return node;
}

function entry(el, block, ctx) {
  return ctx.values?.[block.block_id]?.[el.action_id] ?? null;
}

function button(el, block, ctx) {
  const cls = `btn${el.style ? ` btn-${el.style}` : ""}`;
  const label = plainNodes(el.text);
  const href = el.url ? safeUrl(el.url) : null;
  if (href) {
    // A link button: the browser opens the page, and Slack still tells the app about the click.
    return h(
      "a",
      {
        class: cls,
        href,
        target: "_blank",
        rel: "noopener",
        role: "button",
        dataset: { value: el.value },
        onclick: () => ctx.app.click(el, block, {}),
      },
      label,
      h("span", { class: "external", "aria-hidden": "true" }, " \u2197"),
    );
  }
  const run = (confirmed) => ctx.app.click(el, block, confirmed ? { confirm: true } : {});
  return h(
    "button",
    {
      type: "button",
      class: cls,
      disabled: !ctx.interactive,
      dataset: { value: el.value },
      "aria-label": el.accessibility_label,
      onclick: () => (el.confirm ? ctx.app.confirm(el.confirm, () => run(true)) : run(false)),
    },
    label,
  );
}

function overflow(el, block, ctx) {
  const key = ctx.app.keyFor(el, block);
  const open = ctx.app.menu() === key;
  const menuId = uid("menu");
  const choose = (option) => {
    ctx.app.setMenu(null);
    const href = option.url ? safeUrl(option.url) : null;
    if (href) window.open(href, "_blank", "noopener");
    const run = (confirmed) =>
      ctx.app.click(el, block, { option: option.value, ...(confirmed ? { confirm: true } : {}) });
    if (el.confirm) ctx.app.confirm(el.confirm, () => run(true));
    else run(false);
  };
  const items = (el.options || []).map((option, i) =>
    h(
      "button",
      {
        type: "button",
        role: "menuitem",
        class: "menu-item",
        dataset: { value: option.value, key: `${key}|item${i}` },
        onclick: () => choose(option),
      },
      plainNodes(option.text),
      option.description ? h("span", { class: "menu-description" }, plainNodes(option.description)) : null,
    ),
  );
  const toggle = h(
    "button",
    {
      type: "button",
      class: "btn btn-overflow",
      "aria-haspopup": "menu",
      "aria-expanded": open ? "true" : "false",
      "aria-controls": menuId,
      "aria-label": el.accessibility_label || "More actions",
      disabled: !ctx.interactive,
      dataset: { key: `${key}|toggle` },
      onclick: () => ctx.app.setMenu(open ? null : key, `${key}|item0`),
    },
    "\u22ef",
  );
  return h(
    "div",
    { class: "overflow", dataset: { pickerKey: key } },
    toggle,
    open
      ? h("div", { class: "menu", role: "menu", id: menuId, onkeydown: (e) => menuKeys(e, ctx, key) }, items)
      : null,
  );
}

function menuKeys(event, ctx, key) {
  const items = [...event.currentTarget.querySelectorAll("[role=menuitem]")];
  const at = items.indexOf(document.activeElement);
  if (event.key === "ArrowDown") items[(at + 1) % items.length]?.focus();
  else if (event.key === "ArrowUp") items[(at - 1 + items.length) % items.length]?.focus();
  else if (event.key === "Escape") {
    ctx.app.setMenu(null, `${key}|toggle`);
    event.stopPropagation();
  } else return;
  event.preventDefault();
}

function nativeSelect(el, block, ctx, field) {
  const current = entry(el, block, ctx)?.selected_option?.value ?? "";
  const placeholder = plainText(el.placeholder) || "Choose an option";
  const option = (o) => h("option", { value: o.value, selected: o.value === current }, plainText(o.text));
  const select = h(
    "select",
    {
      id: field.id,
      class: "select",
      "aria-label": field.id ? null : placeholder,
      "aria-invalid": field.invalid ? "true" : null,
      disabled: !ctx.interactive,
      dataset: { key: ctx.app.keyFor(el, block) },
      onchange: (e) => ctx.app.fill(el, block, e.target.value || null),
    },
    h("option", { value: "", disabled: true, selected: !current, hidden: true }, placeholder),
    (el.options || []).map(option),
    (el.option_groups || []).map((g) =>
      h("optgroup", { label: plainText(g.label) }, (g.options || []).map(option)),
    ),
  );
  return select;
}

function textInput(el, block, ctx, field) {
  const key = ctx.app.keyFor(el, block);
  const stored = entry(el, block, ctx)?.value ?? "";
  const value = ctx.app.draft(key) ?? stored ?? "";
  const multiline = el.type === "plain_text_input" && el.multiline;
  const attrs = {
    id: field.id,
    class: multiline ? "textarea" : "text-input",
    placeholder: el.placeholder ? plainText(el.placeholder) : null,
    maxlength: el.max_length ?? null,
    minlength: el.min_length ?? null,
    "aria-invalid": field.invalid ? "true" : null,
    "aria-label": field.id ? null : plainText(el.placeholder) || el.action_id,
    disabled: !ctx.interactive,
    dataset: { key },
    oninput: (e) => ctx.app.type(el, block, key, e.target.value),
    onchange: (e) => ctx.app.type(el, block, key, e.target.value, { now: true }),
    onkeydown: (e) => {
      if (e.key === "Enter" && !multiline && block.dispatch_action)
        ctx.app.type(el, block, key, e.target.value, { now: true, dispatch: true });
    },
  };
  if (el.type === "number_input")
    Object.assign(attrs, {
      type: "number",
      step: el.is_decimal_allowed ? "any" : "1",
      min: el.min_value,
      max: el.max_value,
    });
  else if (!multiline) attrs.type = TEXT_INPUTS[el.type];
  const input = h(multiline ? "textarea" : "input", attrs);
  input.value = value;
  if (el.max_length && el.type === "plain_text_input") {
    // Like Slack, the count shows only near the limit.
    const counter = h("div", { class: "counter", "aria-live": "polite" });
    const count = () => {
      counter.textContent = `${input.value.length} / ${el.max_length}`;
      counter.hidden = input.value.length < el.max_length * 0.8;
    };
    count();
    input.addEventListener("input", count);
    return h("div", { class: "text-field" }, input, counter);
  }
  return input;
}

function choices(el, block, ctx, field, kind) {
  const current = entry(el, block, ctx);
  const chosen =
    kind === "radio"
      ? [current?.selected_option?.value]
      : (current?.selected_options || []).map((o) => o.value);
  const name = ctx.app.keyFor(el, block);
  const items = (el.options || []).map((option, i) => {
    const id = uid(kind);
    const input = h("input", {
      type: kind,
      id,
      name,
      value: option.value,
      checked: chosen.includes(option.value),
      disabled: !ctx.interactive,
      dataset: { key: `${name}|${i}` },
      onchange: (e) => {
        if (kind === "radio") ctx.app.fill(el, block, option.value);
        else {
          const boxes = [...e.target.closest(".choices").querySelectorAll("input:checked")];
          ctx.app.fill(
            el,
            block,
            boxes.map((b) => b.value),
          );
        }
      },
    });
    return h(
      "div",
      { class: "choice" },
      input,
      h(
        "label",
        { for: id },
        textObject(option.text, ctx.dir),
        option.description
          ? h("span", { class: "choice-description" }, textObject(option.description, ctx.dir))
          : null,
      ),
    );
  });
  return h(
    "div",
    {
      class: "choices",
      role: kind === "radio" ? "radiogroup" : "group",
      "aria-labelledby": field.labelId,
      "aria-invalid": field.invalid ? "true" : null,
    },
    items,
  );
}

function dateInput(el, block, ctx, field, type, valueField) {
  const current = entry(el, block, ctx)?.[valueField];
  let value = current ?? "";
  if (type === "datetime-local" && current) value = new Date(current * 1000).toISOString().slice(0, 16);
  const input = h("input", {
    type,
    id: field.id,
    class: "text-input date-input",
    "aria-label": field.id ? null : plainText(el.placeholder) || type,
    "aria-invalid": field.invalid ? "true" : null,
    disabled: !ctx.interactive,
    dataset: { key: ctx.app.keyFor(el, block) },
    onchange: (e) => {
      const raw = e.target.value;
      const sent =
        type === "datetime-local" && raw ? Math.round(new Date(raw).getTime() / 1000) : raw || null;
      ctx.app.fill(el, block, sent);
    },
  });
  input.value = value;
  return input;
}

// --- pickers: multi_static, users, conversations, channels and external selects ----------------

function picker(el, block, ctx, field, { multi, source }) {
  const key = ctx.app.keyFor(el, block);
  const ui = ctx.app.picker(key);
  const current = entry(el, block, ctx);
  const selected = selectedItems(el, current, source, ctx);
  const listId = uid("listbox");
  const placeholder = plainText(el.placeholder) || defaultPlaceholder(source, multi);
  const options = ui.open ? offered(el, ui, source, ctx, multi ? selected : []) : [];
  const active = Math.min(ui.active ?? 0, Math.max(options.length - 1, 0));
  const choose = (item) => {
    const value = multi ? [...selected.map((s) => s.sent), item.sent] : item.sent;
    ctx.app.closePicker(key, `${key}|q`);
    ctx.app.fill(el, block, value);
  };
  const remove = (item) =>
    ctx.app.fill(
      el,
      block,
      selected.filter((s) => s !== item).map((s) => s.sent),
    );
  const input = h("input", {
    id: field.id,
    class: "picker-input",
    role: "combobox",
    "aria-expanded": ui.open ? "true" : "false",
    "aria-controls": listId,
    "aria-autocomplete": "list",
    "aria-activedescendant": ui.open && options.length ? `${listId}-${active}` : null,
    "aria-label": field.id ? null : placeholder,
    "aria-invalid": field.invalid ? "true" : null,
    placeholder: multi && selected.length ? "" : placeholder,
    autocomplete: "off",
    disabled: !ctx.interactive,
    dataset: { key: `${key}|q` },
    onclick: () => !ui.open && ctx.app.openPicker(key, el, block, source),
    oninput: (e) => ctx.app.queryPicker(key, el, block, source, e.target.value),
    onkeydown: (e) =>
      pickerKeys(e, { ctx, key, el, block, source, ui, options, active, choose, selected, multi, remove }),
  });
  input.value = ui.open ? ui.query || "" : !multi && selected[0] ? selected[0].label : "";
  const chips = multi
    ? selected.map((item) =>
        h(
          "span",
          { class: "chip", dataset: { value: item.value } },
          item.label,
          h(
            "button",
            {
              type: "button",
              class: "chip-remove",
              "aria-label": `Remove ${item.label}`,
              disabled: !ctx.interactive,
              onclick: () => remove(item),
            },
            "\u00d7",
          ),
        ),
      )
    : [];
  const list = ui.open
    ? h(
        "ul",
        { class: "listbox", role: "listbox", id: listId, "aria-multiselectable": multi ? "true" : null },
        options.length
          ? options.map((item, i) =>
              h(
                "li",
                {
                  role: "option",
                  id: `${listId}-${i}`,
                  class: i === active ? "active" : "",
                  "aria-selected": i === active ? "true" : "false",
                  dataset: { value: item.value },
                  onmousedown: (e) => e.preventDefault(),
                  onclick: () => choose(item),
                },
                item.label,
                item.detail ? h("span", { class: "option-detail" }, item.detail) : null,
              ),
            )
          : h("li", { class: "listbox-empty", role: "presentation" }, emptyText(el, ui, source)),
      )
    : null;
  return h(
    "div",
    { class: `picker${ui.open ? " open" : ""}${multi ? " multi" : ""}`, dataset: { pickerKey: key } },
    h("div", { class: "picker-box" }, chips, input),
    list,
  );
}

function defaultPlaceholder(source, multi) {
  if (source === "users") return multi ? "Select people" : "Select a person";
  if (source === "channels") return multi ? "Select channels" : "Select a channel";
  return multi ? "Select options" : "Select an option";
}

function emptyText(el, ui, source) {
  if (source !== "external") return "No matches";
  const min = el.min_query_length ?? 3;
  if ((ui.query || "").length < min) return `Type at least ${min} character${min === 1 ? "" : "s"}`;
  return ui.loading ? "Searching\u2026" : "No matches";
}

function pickerKeys(e, p) {
  const { ctx, key, options, active, choose, selected, multi, remove } = p;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    if (!p.ui.open) ctx.app.openPicker(key, p.el, p.block, p.source);
    else
      ctx.app.movePicker(
        key,
        (active + (e.key === "ArrowDown" ? 1 : -1) + options.length) % Math.max(options.length, 1),
      );
  } else if (e.key === "Enter") {
    if (p.ui.open && options[active]) choose(options[active]);
  } else if (e.key === "Escape") {
    if (!p.ui.open) return;
    ctx.app.closePicker(key, `${key}|q`);
    e.stopPropagation();
  } else if (e.key === "Backspace" && multi && !e.target.value && selected.length) {
    remove(selected[selected.length - 1]);
  } else if (e.key === "Tab") {
    ctx.app.closePicker(key);
    return;
  } else return;
  e.preventDefault();
}

/** What is picked now, as {value, label, sent}: `sent` is what fill() takes back. */
function selectedItems(el, current, source, ctx) {
  if (!current) return [];
  if (source === "users") {
    const ids = current.selected_users ?? (current.selected_user ? [current.selected_user] : []);
    return ids.map((id) => ({ value: id, label: ctx.dir.user(id) ?? id, sent: id }));
  }
  if (source === "channels") {
    const ids =
      current.selected_conversations ??
      current.selected_channels ??
      [current.selected_conversation ?? current.selected_channel].filter(Boolean);
    return ids.map((id) => ({ value: id, label: "#" + (ctx.dir.channel(id) ?? id), sent: id }));
  }
  const options = current.selected_options ?? (current.selected_option ? [current.selected_option] : []);
  return options.map((o) => ({
    value: o.value,
    label: plainText(o.text),
    sent: source === "external" ? o : o.value,
  }));
}

function offered(el, ui, source, ctx, selected) {
  const query = (ui.query || "").trim().toLowerCase();
  const taken = new Set(selected.map((s) => s.value));
  const matches = (...texts) =>
    !query ||
    texts.some((t) =>
      String(t || "")
        .toLowerCase()
        .includes(query),
    );
  let items;
  if (source === "users") {
    items = ctx.app.people().map((p) => ({ value: p.id, label: p.real_name, detail: p.name, sent: p.id }));
    items = items.filter((i) => matches(i.label, i.detail));
  } else if (source === "channels") {
    items = ctx.app
      .channels()
      .map((c) => ({ value: c.id, label: "#" + c.name, sent: c.id }))
      .filter((i) => matches(i.label));
  } else if (source === "static") {
    const all = [...(el.options || []), ...(el.option_groups || []).flatMap((g) => g.options || [])];
    items = all
      .map((o) => ({ value: o.value, label: plainText(o.text), sent: o.value }))
      .filter((i) => matches(i.label));
  } else {
    items = (ui.options || []).map((o) => ({
      value: o.value,
      label: plainText(o.text),
      detail: o.description ? plainText(o.description) : null,
      sent: o,
    }));
  }
  return items.filter((i) => !taken.has(i.value));
}
