/**
 * Form fields generated from the scenario's JSON Schema (`GET /api/schema/scenario`):
 * numbers with their bounds, enums as selects, nullable values where blank means null,
 * durations as a distribution picker, nested objects as fieldsets, and lists of objects
 * as JSON text. Each field calls `onChange(path, value)`; `undefined` means "use the
 * default" (the key is removed). Errors `{path: message}` are shown on their field.
 */
import { el } from "../dom.js";

export function resolve(schema, defs) {
  if (schema && schema.$ref) return defs[schema.$ref.split("/").pop()] || {};
  return schema || {};
}

function nullableOf(schema) {
  const options = schema.anyOf || schema.oneOf;
  if (!options || options.length !== 2) return null;
  const other = options.find((o) => o.type !== "null");
  return options.some((o) => o.type === "null") ? other : null;
}

function isDuration(schema, defs) {
  const options = schema.oneOf || schema.anyOf;
  return Boolean(options && options.some((o) => o.type === "number") && options.some((o) => o.$ref && resolve(o, defs).properties && resolve(o, defs).properties.dist));
}

function title(key, schema) {
  const text = schema.title || key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  return text.replace(/ Ms$/, " (ms)").replace(/ S$/, " (s)").replace(/ Per S$/, " per s");
}

function fieldBox(path, label, input, { error, desc } = {}) {
  const id = `f-${path.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
  input.id = input.id || id;
  if (!input.dataset.path) input.dataset.path = path;
  return el(
    "div",
    { class: `field${error ? " invalid" : ""}`, dataset: { path } },
    el("label", { for: input.id, text: label }),
    input,
    desc ? el("span", { class: "desc", text: desc }) : null,
    error ? el("span", { class: "error", role: "alert", text: error }) : null,
  );
}

function numberInput(schema, value, placeholder) {
  const input = el("input", { type: "number", step: schema.type === "integer" ? 1 : "any" });
  if (schema.minimum !== undefined) input.min = schema.minimum;
  if (schema.maximum !== undefined) input.max = schema.maximum;
  if (value !== undefined && value !== null) input.value = value;
  if (placeholder !== undefined && placeholder !== null) input.placeholder = `default ${placeholder}`;
  return input;
}

function readNumber(input) {
  return input.value === "" ? undefined : Number(input.value);
}

/** Fields for the properties of object `schema` (skipping `skip`), under path `prefix`. */
export function objectFields(schema, defs, value, { prefix, onChange, errors = {}, skip = [], choices = {} }) {
  const out = [];
  const obj = resolve(schema, defs);
  for (const [key, prop] of Object.entries(obj.properties || {})) {
    if (skip.includes(key) || prop.const !== undefined) continue;
    // `choices` turns a free id field into a pick from the ids that exist (entry, target).
    const chosen = choices[key] ? { ...prop, type: "string", enum: choices[key], anyOf: undefined } : prop;
    out.push(field(key, chosen, defs, value ? value[key] : undefined, { path: `${prefix}${prefix ? "." : ""}${key}`, onChange, errors }));
  }
  return out;
}

/** One field for property `key` with schema `prop`. */
export function field(key, prop, defs, value, { path, onChange, errors }) {
  const error = errors[path] || Object.entries(errors).find(([p]) => p.startsWith(`${path}.`) || p.startsWith(`${path}[`))?.[1];
  const label = title(key, prop);
  const change = (v) => onChange(path, v);

  if (isDuration(prop, defs)) return durationField(path, label, prop, defs, value, change, error);

  const inner = nullableOf(prop);
  if (inner) {
    const target = resolve(inner, defs);
    if (target.type === "object" || target.properties) {
      // The legend's text names the box for people; assistive technology needs the label too.
      const enabled = el("input", { type: "checkbox", "aria-label": label, checked: value !== null && value !== undefined });
      enabled.addEventListener("change", () => change(enabled.checked ? {} : undefined));
      const nested = value ? objectFields(target, defs, value, { prefix: path, onChange, errors }) : [];
      return el("fieldset", { class: "subtle-box", dataset: { path } }, el("legend", {}, enabled, ` ${label}`), nested, error ? el("span", { class: "error", text: error }) : null);
    }
    if (isDuration(inner, defs)) return durationField(path, label, inner, defs, value, change, error);
    return scalarField(path, `${label} (blank: none)`, target, value, change, error, prop.default);
  }

  const target = resolve(prop, defs);
  if (target.type === "array") {
    const text = el("textarea", { rows: 4, spellcheck: "false" });
    text.value = value === undefined || value === null ? "" : JSON.stringify(value, null, 1);
    text.addEventListener("change", () => {
      if (text.value.trim() === "") return change(undefined);
      try {
        change(JSON.parse(text.value));
      } catch {
        text.setCustomValidity("not valid JSON");
        text.reportValidity();
      }
    });
    return fieldBox(path, `${label} (JSON list)`, text, { error });
  }
  if (target.type === "object" || target.properties) {
    return el("fieldset", { class: "subtle-box", dataset: { path } }, el("legend", { text: label }), objectFields(target, defs, value || {}, { prefix: path, onChange, errors }));
  }
  return scalarField(path, label, target, value, change, error, prop.default);
}

function scalarField(path, label, schema, value, change, error, fallback) {
  let input;
  if (schema.enum) {
    input = el("select", {}, schema.enum.map((v) => el("option", { value: v, text: v })));
    input.value = value ?? fallback ?? schema.enum[0];
    input.addEventListener("change", () => change(input.value));
  } else if (schema.type === "boolean") {
    input = el("input", { type: "checkbox", checked: Boolean(value ?? fallback) });
    input.addEventListener("change", () => change(input.checked));
  } else if (schema.type === "number" || schema.type === "integer") {
    input = numberInput(schema, value, fallback);
    input.addEventListener("change", () => change(readNumber(input)));
  } else {
    const long = (schema.maxLength || 0) > 400;
    input = el(long ? "textarea" : "input", long ? { rows: 3 } : { type: "text" });
    if (schema.maxLength) input.maxLength = schema.maxLength;
    input.value = value ?? "";
    input.addEventListener("change", () => change(input.value === "" && !schema.minLength ? undefined : input.value));
  }
  return fieldBox(path, label, input, { error });
}

function durationField(path, label, prop, defs, value, change, error) {
  const options = prop.oneOf || prop.anyOf;
  const dists = options.filter((o) => o.$ref).map((o) => resolve(o, defs));
  const current = value && typeof value === "object" ? value.dist : "constant";
  const kind = el("select", { "aria-label": `${label} distribution` }, el("option", { value: "constant", text: "constant" }), dists.map((d) => el("option", { value: d.properties.dist.const, text: d.properties.dist.const })));
  kind.value = current;
  kind.dataset.path = `${path}.dist`;
  const params = el("div", { class: "row" });
  const box = fieldBox(path, label, kind, { error });
  box.append(params);

  function draw() {
    params.replaceChildren();
    if (kind.value === "constant") {
      const input = numberInput({ type: "number", minimum: 0 }, typeof value === "number" ? value : undefined, prop.default);
      input.dataset.path = path;
      input.setAttribute("aria-label", label);
      input.addEventListener("change", () => change(readNumber(input)));
      params.append(input);
      return;
    }
    const spec = dists.find((d) => d.properties.dist.const === kind.value);
    const current = value && typeof value === "object" && value.dist === kind.value ? value : { dist: kind.value };
    for (const [key, s] of Object.entries(spec.properties)) {
      if (key === "dist") continue;
      const input = numberInput(s, current[key]);
      input.dataset.path = `${path}.${key}`;
      input.setAttribute("aria-label", `${label} ${key}`);
      input.addEventListener("change", () => {
        const next = { ...current, [key]: readNumber(input) };
        if (Object.keys(spec.properties).every((k) => next[k] !== undefined)) change(next);
      });
      params.append(el("label", { text: key }), input);
    }
  }
  kind.addEventListener("change", () => {
    if (kind.value === "constant") change(undefined);
    draw();
  });
  draw();
  return box;
}
