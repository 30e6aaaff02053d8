// /market: repair jobs. A rider posts a job about one of their bikes and follows their jobs;
// a mechanic sees open jobs near a point and the jobs they quoted on. /market/jobs/<id>: one
// job with its state, the quotes with their lines (accept), the next steps, the invoice (with
// its PDF), payment, review and each thread.
// Every change is sent with an Idempotency-Key, kept for the retries of one submission.

import { api, currentUser } from "./api.js";
import { partName } from "./bikes.js";
import { busy, errorBox, field, fill, h, navigate, showError } from "./dom.js";
import { profileForm, searchForm } from "./mechanics.js";

const STATE_LABELS = {
  draft: "Draft",
  open: "Open for quotes",
  quoted: "Quoted",
  accepted: "Quote accepted",
  in_progress: "Work in progress",
  done: "Work done",
  invoiced: "Invoiced",
  paid: "Paid (held until you review)",
  reviewed: "Reviewed",
  cancelled: "Cancelled",
  expired: "Expired",
  disputed: "Disputed",
};
const STEP_LABELS = {
  publish: "Publish the job",
  start: "Start the work",
  finish: "Mark the work done",
  invoice: "Send the invoice",
  cancel: "Cancel the job",
  withdraw: "Withdraw from the job",
  dispute: "Dispute the work",
};

/** "€45.00": integer minor units in the job's currency (two decimals for these). */
export function money(minor, currency) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
}

/** POST with a fresh Idempotency-Key (one per user action). */
function change(path, json) {
  const key = crypto.randomUUID();
  return api(path, { method: "POST", json, headers: { "Idempotency-Key": key } });
}

function status(text) {
  return h("p", { role: "status" }, text);
}

export async function render(main) {
  const me = await currentUser();
  document.title = "Repairs · BikeNode";
  if (me.role === "mechanic") return mechanicPage(main);
  const [jobs, bikes] = await Promise.all([api("/api/v1/market/jobs"), api("/api/v1/bikes")]);
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Repairs"),
    h("p", {}, "Ask local mechanics to quote on a repair. They see only an area of about a kilometre, never your address."),
    postForm(bikes.items),
    searchForm(),
    h("h2", {}, "Your jobs"),
    jobs.items.length ? jobList(jobs.items) : h("p", { class: "empty" }, "No repair jobs yet."),
  );
  return null;
}

function jobList(items) {
  return h(
    "ul",
    { class: "market-jobs" },
    items.map((job) =>
      h(
        "li",
        { class: "card" },
        h("a", { href: `/market/jobs/${job.id}` }, job.title),
        h("span", { class: "job-state" }, ` · ${STATE_LABELS[job.state] || job.state}`),
        job.distance_km !== null && job.distance_km !== undefined ? h("span", {}, ` · ${job.distance_km} km away`) : null,
      ),
    ),
  );
}

function postForm(bikes) {
  const bike = h("select", { name: "bike", required: true }, bikes.map((b) => h("option", { value: b.id }, b.name)));
  const title = h("input", { name: "title", required: true, maxlength: "120" });
  const description = h("textarea", { name: "description", required: true, maxlength: "4000", rows: "3" });
  const lat = h("input", { name: "lat", type: "number", step: "any", min: "-90", max: "90", required: true });
  const lon = h("input", { name: "lon", type: "number", step: "any", min: "-180", max: "180", required: true });
  const parts = h("fieldset", { class: "job-parts" });
  const loadParts = async () => {
    if (!bike.value) return;
    const tree = await api(`/api/v1/bikes/${bike.value}/components`);
    const flat = (items) => items.flatMap((item) => [item.component, ...flat(item.parts)]);
    const boxes = flat(tree.items).map((c) =>
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "part", value: c.id }), ` ${partName(c)}`),
    );
    fill(parts, h("legend", {}, "Parts to work on (their service log will show the job)"), boxes.length ? boxes : h("p", { class: "hint" }, "No parts fitted."));
  };
  bike.addEventListener("change", () => loadParts().catch((error) => showError(parts, error)));
  loadParts().catch((error) => showError(parts, error));
  const form = h(
    "form",
    { class: "card", "aria-label": "Post a repair job" },
    h("h2", {}, "Post a repair job"),
    bikes.length ? null : h("p", {}, "Add a bike first on the ", h("a", { href: "/bikes" }, "Bikes"), " page."),
    field("Bike", bike),
    parts,
    field("What needs doing", title),
    field("Details", description),
    field("Latitude", lat, "Where the bike is; only the surrounding square kilometre is kept."),
    field("Longitude", lon),
    h("button", { type: "submit" }, "Post the job"),
    h("div", { class: "form-status" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const job = await change("/api/v1/market/jobs", {
        bike_id: bike.value,
        component_ids: [...parts.querySelectorAll("input:checked")].map((box) => box.value),
        title: title.value,
        description: description.value,
        lat_deg: Number(lat.value),
        lon_deg: Number(lon.value),
      });
      navigate(`/market/jobs/${job.id}`);
    } catch (error) {
      done();
      showError(form.querySelector(".form-status"), error);
    }
  });
  return form;
}

async function mechanicPage(main) {
  const lat = h("input", { name: "lat", type: "number", step: "any", min: "-90", max: "90", required: true });
  const lon = h("input", { name: "lon", type: "number", step: "any", min: "-180", max: "180", required: true });
  const radius = h("input", { name: "radius", type: "number", min: "1", max: "200", value: "25", required: true });
  const results = h("div", { class: "open-jobs" });
  const form = h(
    "form",
    { class: "card", "aria-label": "Find open jobs" },
    field("Latitude", lat),
    field("Longitude", lon),
    field("Within (km)", radius),
    h("button", { type: "submit" }, "Find open jobs"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const query = new URLSearchParams({ lat_deg: lat.value, lon_deg: lon.value, radius_km: radius.value });
      const found = await api(`/api/v1/market/open-jobs?${query}`);
      fill(results, found.items.length ? found.items.map(quoteCard) : h("p", { role: "status" }, "No open jobs there."));
    } catch (error) {
      showError(results, error);
    } finally {
      done();
    }
  });
  const [quoted, profile] = await Promise.all([api("/api/v1/market/quoted-jobs"), profileForm()]);
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Repair jobs near you"),
    form,
    results,
    h("h2", {}, "Jobs you quoted on"),
    quoted.items.length ? jobList(quoted.items) : h("p", { class: "empty" }, "No quotes yet."),
    profile,
  );
  return null;
}

/** One editable line item: part or labour, what, how many (hours: "1.5"), unit price, tax %. */
function lineRow(currency) {
  const kind = h("select", { name: "kind", "aria-label": "Kind" }, h("option", { value: "labour" }, "Labour"), h("option", { value: "part" }, "Part"));
  const what = h("input", { name: "description", maxlength: "200", "aria-label": "Item" });
  const qty = h("input", { name: "quantity", inputmode: "decimal", pattern: "\\d{1,6}(\\.\\d{1,3})?", value: "1", size: "5", "aria-label": "Quantity" });
  const unit = h("input", { name: "unit", type: "number", min: "0", step: "0.01", size: "7", "aria-label": `Unit price before tax (${currency})` });
  const tax = h("input", { name: "tax", type: "number", min: "0", max: "50", step: "0.01", size: "4", "aria-label": "Tax %", placeholder: "country" });
  const row = h("div", { class: "line-row" }, kind, what, qty, unit, tax);
  row.value = () =>
    what.value.trim()
      ? {
          kind: kind.value,
          description: what.value.trim(),
          quantity: qty.value.trim(),
          unit_minor: Math.round(Number(unit.value) * 100),
          ...(tax.value ? { tax_rate_bp: Math.round(Number(tax.value) * 100) } : {}),
        }
      : null;
  return row;
}

/** A fieldset of line items with "Add a line"; its .lines() are the filled ones. */
function lineEditor(currency, legend) {
  const rows = h("div", { class: "line-rows" }, lineRow(currency));
  const add = h("button", { type: "button", onclick: () => rows.append(lineRow(currency)) }, "Add a line");
  const set = h("fieldset", { class: "line-items" }, h("legend", {}, legend), rows, add);
  set.lines = () => [...rows.children].map((row) => row.value()).filter(Boolean);
  return set;
}

function quoteCard(job) {
  const price = h("input", { name: "price", type: "number", min: "0.01", step: "0.01" });
  const lines = lineEditor(job.currency, "Or line items (quantity: e.g. 1.5 hours; tax: blank for the country's rate)");
  const country = h("input", { name: "country", maxlength: "2", size: "3", pattern: "[A-Za-z]{2}", placeholder: "DE" });
  const message = h("textarea", { name: "message", maxlength: "4000", rows: "2" });
  const days = h("input", { name: "days", type: "number", min: "1", max: "90", value: "7", required: true });
  const form = h(
    "form",
    { "aria-label": `Quote for ${job.title}` },
    field(`Price (${job.currency})`, price),
    lines,
    field("Country (for its tax rates)", country),
    field("Message", message),
    field("Valid for (days)", days),
    h("button", { type: "submit" }, "Send the quote"),
    h("div", { class: "form-status" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    const where = form.querySelector(".form-status");
    try {
      const items = lines.lines();
      await change("/api/v1/market/quotes", {
        job_id: job.id,
        ...(items.length
          ? { lines: items, country: country.value ? country.value.toUpperCase() : null }
          : { price_minor: Math.round(Number(price.value) * 100) }),
        currency: job.currency,
        message: message.value,
        valid_until: new Date(Date.now() + Number(days.value) * 86_400_000).toISOString(),
      });
      fill(where, status("Quote sent."));
    } catch (error) {
      showError(where, error);
    } finally {
      done();
    }
  });
  return h(
    "article",
    { class: "card open-job" },
    h("h2", {}, h("a", { href: `/market/jobs/${job.id}` }, job.title)),
    h("p", {}, job.description),
    h("p", { class: "hint" }, `About ${job.distance_km} km away (an approximate area)`),
    form,
  );
}

export async function jobPage(main, { params }) {
  let job;
  try {
    job = await api(`/api/v1/market/jobs/${params[0]}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    document.title = "Job not found · BikeNode";
    fill(main, h("h1", {}, "Job not found"), errorBox("This job does not exist, or it is not yours to see."));
    return null;
  }
  const reload = async (said) => {
    job = await api(`/api/v1/market/jobs/${job.id}`);
    await drawJob(main, job, reload, said);
    main.querySelector(".job-status [role=status]")?.focus();
  };
  await drawJob(main, job, reload, null);
  return null;
}

const INVOICED = ["invoiced", "paid", "reviewed", "disputed", "cancelled"];

/** The invoice's card (lines, totals, a PDF download), or nothing while there is none. */
async function invoiceCard(job) {
  if (!INVOICED.includes(job.state)) return null;
  let invoice;
  try {
    invoice = await api(`/api/v1/market/jobs/${job.id}/invoice?locale=${encodeURIComponent(navigator.language || "en")}`);
  } catch (error) {
    if (error.status === 404) return null; // cancelled before invoicing
    throw error;
  }
  const errors = h("div", { "aria-live": "polite" });
  const pdf = h("a", { href: invoice.pdf_url, class: "invoice-pdf" }, `Download invoice ${invoice.number} (PDF)`);
  pdf.addEventListener("click", async (event) => {
    event.preventDefault(); // the API needs the access token: fetch, then save the file
    try {
      const response = await api(invoice.pdf_url, { raw: true });
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `invoice-${invoice.number}.pdf`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      showError(errors, error);
    }
  });
  return h(
    "section",
    { class: "card invoice", "aria-labelledby": "invoice-heading" },
    h("h2", { id: "invoice-heading" }, `Invoice ${invoice.number}`),
    h("p", { class: "hint" }, `Issued ${new Date(invoice.issued_at).toLocaleDateString()}`),
    linesTable(invoice.lines, invoice.currency),
    h(
      "dl",
      { class: "invoice-totals" },
      h("dt", {}, "Net"), h("dd", {}, invoice.net_display),
      h("dt", {}, "Tax"), h("dd", {}, invoice.tax_display),
      h("dt", {}, "Total"), h("dd", { class: "invoice-total" }, invoice.total_display),
    ),
    pdf,
    errors,
  );
}

/** A table of priced lines; extra ones (agreed after the quote) are marked. */
function linesTable(lines, currency) {
  const cell = (text) => h("td", {}, text);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data numeric lines" },
      h("thead", {}, h("tr", {}, ["Item", "Qty", "Unit", "Tax", "Total"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        lines.map((line) =>
          h(
            "tr",
            {},
            cell(`${line.description}${line.extra ? " (added)" : ""}`),
            cell(line.quantity),
            cell(money(line.unit_minor, currency)),
            cell(`${line.tax_bp / 100}\u00a0%`),
            cell(money(line.total_minor, currency)),
          ),
        ),
      ),
    ),
  );
}

async function drawJob(main, job, reload, said) {
  const invoice = await invoiceCard(job).catch((error) => errorBox(error.message));
  document.title = `${job.title} · BikeNode`;
  const rider = job.you_are === "rider";
  const act = (label, work) =>
    h("button", {
      type: "button",
      onclick: async (event) => {
        const area = main.querySelector(".job-status");
        event.target.disabled = true;
        try {
          await work();
          await reload(`${label}: done.`);
        } catch (error) {
          event.target.disabled = false;
          showError(area, error);
        }
      },
    }, label);
  const steps = job.allowed_transitions
    .filter((name) => STEP_LABELS[name] && name !== "invoice")
    .map((name) => act(STEP_LABELS[name], () => change(`/api/v1/market/jobs/${job.id}/transitions`, { transition: name })));
  const extra = job.allowed_transitions.includes("invoice") && !rider ? lineEditor(job.currency, "Extra lines agreed since the quote (optional)") : null;
  if (extra) {
    steps.push(act(STEP_LABELS.invoice, () => change(`/api/v1/market/jobs/${job.id}/transitions`, { transition: "invoice", extra_lines: extra.lines() })));
  }
  if (rider && job.state === "invoiced") {
    steps.push(act("Pay the invoice", () => change(`/api/v1/market/jobs/${job.id}/payments`)));
  }
  fill(
    main,
    h("h1", { tabindex: "-1" }, job.title),
    h("p", { class: "job-state", dataset: { state: job.state } }, STATE_LABELS[job.state] || job.state),
    h("p", {}, job.description),
    h("p", { class: "hint" }, `Area: ${job.lat_deg.toFixed(3)}, ${job.lon_deg.toFixed(3)} (approximate)`),
    h("div", { class: "job-status" }, said ? h("p", { role: "status", tabindex: "-1" }, said) : null),
    extra,
    steps.length ? h("div", { class: "actions" }, steps) : null,
    invoice,
    rider && job.state === "paid" ? reviewForm(job, reload) : null,
    job.rating ? h("p", { class: "review" }, `Your review: ${"★".repeat(job.rating)} ${job.review || ""}`) : null,
    h("h2", {}, rider ? "Quotes" : "Your quote"),
    job.quotes.length
      ? h("ul", { class: "quotes" }, job.quotes.map((quote) => quoteItem(job, quote, rider, act)))
      : h("p", { class: "empty" }, "No quotes yet."),
  );
}

function quoteItem(job, quote, rider, act) {
  const canAccept = rider && quote.state === "open" && job.allowed_transitions.includes("accept");
  const item = h(
    "li",
    { class: "card quote", dataset: { state: quote.state } },
    h("strong", {}, money(quote.price_minor, quote.currency)),
    h("span", {}, ` · ${quote.state}`),
    quote.message ? h("p", {}, quote.message) : null,
    quote.lines.length > 1 || (quote.lines[0] && quote.lines[0].tax_bp) ? linesTable(quote.lines, quote.currency) : null,
    canAccept ? act("Accept this quote", () => change(`/api/v1/market/quotes/${quote.id}/accept`)) : null,
    thread(quote),
  );
  return item;
}

function thread(quote) {
  const list = h("ul", { class: "thread" });
  const body = h("input", { name: "body", required: true, maxlength: "4000" });
  body.id = `message-${quote.id}`;
  const form = h("form", { "aria-label": "Send a message" }, field("Message", body), h("button", { type: "submit" }, "Send"));
  const load = async () => {
    const found = await api(`/api/v1/market/quotes/${quote.id}/messages`);
    fill(list, found.items.map((m) => h("li", {}, m.body)));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      await change(`/api/v1/market/quotes/${quote.id}/messages`, { body: body.value });
      body.value = "";
      await load();
    } catch (error) {
      showError(list, error);
    } finally {
      done();
    }
  });
  load().catch((error) => showError(list, error));
  return h("details", {}, h("summary", {}, "Messages"), list, form);
}

function reviewForm(job, reload) {
  const rating = h("select", { name: "rating" }, [5, 4, 3, 2, 1].map((n) => h("option", { value: String(n) }, `${n} of 5`)));
  const text = h("textarea", { name: "text", maxlength: "2000", rows: "2" });
  const form = h(
    "form",
    { class: "card", "aria-label": "Review the work" },
    h("h2", {}, "Review the work"),
    h("p", {}, "Your review confirms the work and releases the payment to the mechanic."),
    field("Rating", rating),
    field("Review", text),
    h("button", { type: "submit" }, "Send the review"),
    h("div", { class: "form-status" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      await change(`/api/v1/market/jobs/${job.id}/transitions`, { transition: "review", rating: Number(rating.value), text: text.value });
      await reload("Review sent: the mechanic is paid.");
    } catch (error) {
      done();
      showError(form.querySelector(".form-status"), error);
    }
  });
  return form;
}
