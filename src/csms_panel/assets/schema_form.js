// A form built from an OCPP 1.6 request's JSON schema (draft 4/6, `$ref`s already inlined
// by the server), and the check of what it holds before anything is sent. Every field is
// labelled by its schema property name; a field path is dotted as the server names it
// (`chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit`).
"use strict";

// An element with attributes (`text`: its text, `class`: its class) and children (null and
// undefined ones left out). The first script of the page: panel.js uses it too.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const SchemaForm = (() => {
  let uid = 0;
  const nextId = (name) => `f${++uid}-${name.replace(/[^A-Za-z0-9_-]/g, "")}`;

  const join = (path, name) =>
    typeof name === "number" ? `${path}[${name}]` : path ? `${path}.${name}` : name;

  // What a field takes, in words, under its box.
  function hint(schema) {
    const parts = [];
    if (schema.type === "integer") parts.push("integer");
    else if (schema.type === "number")
      parts.push(schema.multipleOf ? `number, multiple of ${schema.multipleOf}` : "number");
    else if (schema.format === "date-time") parts.push("date and time, in your time zone");
    else if (schema.format === "uri") parts.push("URI");
    else if (schema.type === "string") parts.push("text");
    if (schema.maxLength) parts.push(`at most ${schema.maxLength} characters`);
    return parts.join(", ");
  }

  // One labelled input for a scalar; `read()` gives {present, value, error}.
  function scalar(schema, name, path, required, ctx) {
    const id = nextId(name);
    // The mark sits beside the label, not in it: the box's name is the property name alone
    // (its `required` attribute tells assistive technology the rest).
    const label = el("div", { class: "label" }, el("label", { for: id }, name));
    if (required) label.append(el("span", { class: "req", "aria-hidden": "true", title: "required", text: "*" }));
    let input;
    if (Array.isArray(schema.enum) || schema.type === "boolean") {
      const options = schema.enum || ["true", "false"];
      input = el("select", { id, name: path, required });
      input.append(el("option", { value: "", text: required ? "— choose —" : "— not set —" }));
      for (const o of options) input.append(el("option", { value: String(o), text: String(o) }));
    } else if (schema.format === "date-time") {
      input = el("input", { id, name: path, type: "datetime-local", step: "1", required });
    } else if (schema.type === "string" && (schema.maxLength || 0) > 300) {
      input = el("textarea", { id, name: path, rows: "4", required, spellcheck: "false" });
    } else {
      const mode = { integer: "numeric", number: "decimal" }[schema.type];
      input = el("input", { id, name: path, type: "text", inputmode: mode, required, autocomplete: "off", spellcheck: "false" });
    }
    const hintText = hint(schema);
    const hintEl = hintText ? el("small", { id: `${id}-hint`, class: "hint", text: hintText }) : null;
    const errEl = el("span", { id: `${id}-err`, class: "field-error" });
    input.setAttribute("aria-describedby", [hintEl && hintEl.id, errEl.id].filter(Boolean).join(" "));
    const wrap = el("div", { class: "field" }, label, input, hintEl, errEl);
    ctx.inputs.set(path, { input, errEl });
    input.addEventListener("input", ctx.changed);
    input.addEventListener("change", ctx.changed);

    function read() {
      const raw = input.value.trim();
      if (raw === "") return { present: false };
      if (schema.type === "boolean") return { present: true, value: raw === "true" };
      if (schema.type === "integer") {
        if (!/^-?\d+$/.test(raw)) return { present: true, value: raw, error: "must be an integer" };
        return { present: true, value: Number(raw) };
      }
      if (schema.type === "number") {
        if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw)) return { present: true, value: raw, error: "must be a number" };
        return { present: true, value: Number(raw) };
      }
      if (schema.format === "date-time") {
        const t = new Date(raw);
        if (Number.isNaN(t.getTime())) return { present: true, value: raw, error: "must be a date and time" };
        return { present: true, value: t.toISOString() };
      }
      // Text goes as typed: spaces may matter (a configuration value).
      return { present: true, value: input.value };
    }
    function write(v) {
      if (v === undefined || v === null) input.value = "";
      else if (schema.format === "date-time" && !Number.isNaN(new Date(v).getTime())) input.value = localInput(new Date(v));
      else input.value = String(v);
    }
    return { node: wrap, read, write };
  }

  // `YYYY-MM-DDTHH:MM:SS` in the browser's time zone, as a datetime-local box takes it.
  function localInput(t) {
    const p = (n) => String(n).padStart(2, "0");
    return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
  }

  // A fieldset of properties; an optional one is left out until "Include" is ticked.
  function object(schema, name, path, required, ctx, root) {
    const props = schema.properties || {};
    const req = new Set(schema.required || []);
    const body = el("div", { class: "fields" });
    let children = [];
    const build = () => {
      children = Object.entries(props).map(([k, s]) => {
        const child = field(s, k, join(path, k), req.has(k), ctx);
        body.append(child.node);
        return [k, child];
      });
    };
    const clear = () => {
      for (const [k] of children) forget(ctx, join(path, k));
      children = [];
      body.replaceChildren();
    };
    let node = body;
    let include = null;
    if (!root) {
      const legend = el("legend", {}, name);
      if (required) legend.append(el("span", { class: "req", "aria-hidden": "true", text: " *" }));
      node = el("fieldset", { class: "group" }, legend);
      if (!required) {
        const id = nextId(`include-${name}`);
        include = el("input", { type: "checkbox", id });
        include.addEventListener("change", () => {
          include.checked ? build() : clear();
          ctx.changed();
        });
        node.append(el("div", { class: "include" }, include, el("label", { for: id }, `Include ${name}`)));
      }
      node.append(body);
    }
    if (!include) build();
    function write(v) {
      if (include) {
        const want = v !== undefined && v !== null;
        if (want !== include.checked) {
          include.checked = want;
          want ? build() : clear();
        }
      }
      for (const [k, child] of children) child.write(v ? v[k] : undefined);
    }
    function read() {
      if (include && !include.checked) return { present: false };
      const value = {};
      const errors = [];
      for (const [k, child] of children) {
        const r = child.read();
        if (r.errors) errors.push(...r.errors);
        if (r.error) errors.push({ field: join(path, k), message: r.error });
        if (r.present) value[k] = r.value;
      }
      return { present: true, value, errors };
    }
    return { node, read, write };
  }

  // A list of items with buttons to add and remove them.
  function array(schema, name, path, required, ctx) {
    const legend = el("legend", {}, name);
    if (required) legend.append(el("span", { class: "req", "aria-hidden": "true", text: " *" }));
    const list = el("ol", { class: "items" });
    const add = el("button", { type: "button", class: "secondary", text: `Add ${name} item` });
    const node = el("fieldset", { class: "group" }, legend, list, add);
    let items = [];
    const itemSchema = schema.items || { type: "string" };
    // What the boxes hold now, invalid text included, to rebuild the list around an edit.
    const current = () => items.map((c) => { const r = c.read(); return r.present ? r.value : undefined; });
    const rebuild = (values) => {
      forget(ctx, `${path}[`);
      list.replaceChildren();
      items = values.map((v, i) => {
        const child = field(itemSchema, `${name}[${i}]`, join(path, i), true, ctx);
        child.write(v);
        const remove = el("button", { type: "button", class: "secondary small", "aria-label": `Remove ${name} item ${i + 1}`, text: "Remove" });
        remove.addEventListener("click", () => {
          const values = current();
          values.splice(i, 1);
          rebuild(values);
          ctx.changed();
          add.focus();
        });
        list.append(el("li", {}, child.node, remove));
        return child;
      });
    };
    add.addEventListener("click", () => {
      rebuild([...current(), undefined]);
      ctx.changed();
      const last = list.lastElementChild && list.lastElementChild.querySelector("input, select, textarea");
      if (last) last.focus();
    });
    function write(v) {
      rebuild(Array.isArray(v) ? v : []);
    }
    function read() {
      if (items.length === 0 && !required) return { present: false };
      const value = [];
      const errors = [];
      items.forEach((child, i) => {
        const r = child.read();
        if (r.errors) errors.push(...r.errors);
        if (r.error) errors.push({ field: join(path, i), message: r.error });
        // An empty item box is a missing item, which `validate` names.
        value.push(r.present ? r.value : undefined);
      });
      return { present: true, value, errors };
    }
    return { node, read, write };
  }

  function field(schema, name, path, required, ctx) {
    if (schema.type === "object") return object(schema, name, path, required, ctx, false);
    if (schema.type === "array") return array(schema, name, path, required, ctx);
    return scalar(schema, name, path, required, ctx);
  }

  // Drop the inputs at `prefix` and below (boxes taken off the page).
  function forget(ctx, prefix) {
    for (const key of [...ctx.inputs.keys()])
      if (key === prefix || key.startsWith(prefix.endsWith("[") ? prefix : `${prefix}.`) || key.startsWith(`${prefix}[`))
        ctx.inputs.delete(key);
  }

  const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

  // The schema's own rules (the subset the OCPP 1.6 schemas use), as the server checks them.
  function validate(schema, value, path, errors) {
    const at = path || "payload";
    if (value === undefined) {
      errors.push({ field: at, message: "is required" });
      return errors;
    }
    const type = schema.type;
    const typeOk = {
      object: () => value !== null && typeof value === "object" && !Array.isArray(value),
      array: () => Array.isArray(value),
      string: () => typeof value === "string",
      integer: () => Number.isInteger(value),
      number: () => typeof value === "number" && Number.isFinite(value),
      boolean: () => typeof value === "boolean",
    }[type];
    if (typeOk && !typeOk()) {
      errors.push({ field: at, message: `must be ${type === "integer" ? "an" : "a"} ${type}` });
      return errors;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value))
      errors.push({ field: at, message: `must be one of ${schema.enum.join(", ")}` });
    if (typeof value === "string") {
      if (schema.maxLength !== undefined && [...value].length > schema.maxLength)
        errors.push({ field: at, message: `is longer than ${schema.maxLength} characters` });
      if (schema.format === "date-time" && !RFC3339.test(value))
        errors.push({ field: at, message: "must be an RFC 3339 date-time" });
    }
    if (typeof value === "number") {
      if (schema.multipleOf && Math.abs(Math.round(value / schema.multipleOf) * schema.multipleOf - value) > 1e-9)
        errors.push({ field: at, message: `must be a multiple of ${schema.multipleOf}` });
      if (schema.minimum !== undefined && value < schema.minimum)
        errors.push({ field: at, message: `must be at least ${schema.minimum}` });
      if (schema.maximum !== undefined && value > schema.maximum)
        errors.push({ field: at, message: `must be at most ${schema.maximum}` });
    }
    if (type === "object") {
      const props = schema.properties || {};
      for (const k of schema.required || [])
        if (!(k in value)) errors.push({ field: join(path, k), message: "is required" });
      for (const [k, v] of Object.entries(value)) {
        if (props[k]) validate(props[k], v, join(path, k), errors);
        else if (schema.additionalProperties === false)
          errors.push({ field: join(path, k), message: "is not a property of this request" });
      }
    }
    if (type === "array") {
      if (schema.minItems !== undefined && value.length < schema.minItems)
        errors.push({ field: at, message: `needs at least ${schema.minItems} item(s)` });
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        errors.push({ field: at, message: `takes at most ${schema.maxItems} item(s)` });
      value.forEach((v, i) => schema.items && validate(schema.items, v, join(path, i), errors));
    }
    return errors;
  }

  // The form for `schema` in `container`; `onChange()` after every edit.
  function build(container, schema, onChange) {
    const ctx = { inputs: new Map(), changed: () => onChange && onChange() };
    const root = object(schema, "", "", true, ctx, true);
    container.replaceChildren(root.node);
    return {
      // {payload, errors}: errors empty when the payload may be sent.
      read() {
        const r = root.read();
        const errors = [...(r.errors || [])];
        const parsed = new Set(errors.map((e) => e.field));
        for (const e of validate(schema, r.value, "", []))
          if (!parsed.has(e.field)) errors.push(e);
        return { payload: r.value, errors };
      },
      write(value) {
        root.write(value);
      },
      // Show `errors` next to their fields (and clear the others); the first bad input.
      mark(errors) {
        for (const { input, errEl } of ctx.inputs.values()) {
          input.removeAttribute("aria-invalid");
          errEl.textContent = "";
        }
        let first = null;
        for (const e of errors) {
          const slot = ctx.inputs.get(e.field);
          if (!slot) continue;
          slot.input.setAttribute("aria-invalid", "true");
          slot.errEl.textContent = slot.errEl.textContent ? `${slot.errEl.textContent}; ${e.message}` : e.message;
          // Focus goes to the first bad box on the page, whatever order the checks ran in.
          if (!first || first.compareDocumentPosition(slot.input) & Node.DOCUMENT_POSITION_PRECEDING) first = slot.input;
        }
        return first;
      },
    };
  }

  return { build, validate };
})();
