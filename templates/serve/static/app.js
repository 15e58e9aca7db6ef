// Trainkit workbench: one small script, no framework, no remote asset.
// The server renders every page; this script filters lessons, drives the planner,
// refreshes previews on the server's `reload` events and follows builds.
"use strict";

(function () {
  const token = document.querySelector('meta[name="trainkit-token"]').content;
  const strings = JSON.parse(document.getElementById("trainkit-strings").textContent);
  const page = document.body.dataset.page;

  function text(key, values) {
    let result = strings[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      result = result.split("%(" + name + ")s").join(String(value));
    }
    return result;
  }

  async function api(method, url, body) {
    const options = { method, headers: { "X-Trainkit-Token": token, Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = {};
    try {
      data = await response.json();
    } catch (_) {
      data = {};
    }
    return { status: response.status, ok: response.ok, data };
  }

  function say(message) {
    const status = document.getElementById("status");
    if (status) status.textContent = message;
  }

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  // --- events from the server ----------------------------------------------------------
  const listeners = { reload: [], build: [] };
  const source = new EventSource("/events");
  source.addEventListener("reload", (event) => {
    const data = JSON.parse(event.data);
    document.body.dataset.generation = data.generation;
    listeners.reload.forEach((listener) => listener(data));
  });
  source.addEventListener("build", (event) => {
    const data = JSON.parse(event.data);
    listeners.build.forEach((listener) => listener(data));
  });
  window.addEventListener("beforeunload", () => source.close());

  // Follow one build until it ends; `progress` sees each state.
  function follow(job, progress) {
    return new Promise((resolve) => {
      let finished = false;
      function update(data) {
        if (finished || data.id !== job.id) return;
        progress(data);
        if (["done", "failed", "cancelled"].includes(data.state)) {
          finished = true;
          listeners.build.splice(listeners.build.indexOf(update), 1);
          resolve(data);
        }
      }
      listeners.build.push(update);
      // The build may have ended before the stream said so to us: ask once.
      api("GET", "/api/builds/" + job.id).then((answer) => answer.ok && update(answer.data));
    });
  }

  // --- lessons: filter and search ----------------------------------------------------------
  function lessonsPage() {
    const form = document.getElementById("lesson-filters");
    if (!form) return;
    const rows = Array.from(document.querySelectorAll("#lesson-table tbody tr"));
    const count = document.getElementById("lesson-count");
    function apply() {
      const query = form.q.value.trim().toLowerCase();
      const want = { topics: form.topic.value, audiences: form.audience.value, level: form.level.value, languages: form.language.value };
      let shown = 0;
      for (const row of rows) {
        const visible =
          (!query || row.dataset.text.includes(query)) &&
          (!want.level || row.dataset.level === want.level) &&
          (!want.topics || row.dataset.topics.split(" ").includes(want.topics)) &&
          (!want.audiences || row.dataset.audiences.split(" ").includes(want.audiences)) &&
          (!want.languages || row.dataset.languages.split(" ").includes(want.languages));
        row.hidden = !visible;
        if (visible) shown += 1;
      }
      count.textContent = text("shown", { count: shown, total: rows.length });
    }
    form.addEventListener("input", apply);
    form.addEventListener("submit", (event) => event.preventDefault());
    listeners.reload.push(() => window.location.reload());
  }

  // --- the planner ----------------------------------------------------------------------------
  function planPage() {
    const form = document.getElementById("planner");
    if (!form) return;
    const fields = ["profile", "title", "date", "place", "trainer", "days", "start", "end", "lunch_at", "lunch_minutes",
      "break_every", "break_minutes", "time_budget"];
    const numbers = new Set(["days", "lunch_minutes", "break_every", "break_minutes", "time_budget"]);
    const state = { add: [], drop: [], order: [], lessons: [] };
    const list = document.getElementById("plan-list");
    const addSelect = document.getElementById("add-lesson");
    let checking = 0;

    function values() {
      const result = { add: state.add.slice(), drop: state.drop.slice(), order: state.order.slice() };
      for (const key of fields) {
        const raw = form.elements[key].value.trim();
        if (raw === "") continue;
        result[key] = numbers.has(key) && /^\d+$/.test(raw) ? Number(raw) : raw;
      }
      return result;
    }

    function fill(saved) {
      for (const key of fields) form.elements[key].value = saved[key] === null || saved[key] === undefined ? "" : saved[key];
      state.add = (saved.add || []).slice();
      state.drop = (saved.drop || []).slice();
      state.order = (saved.order || []).slice();
    }

    function name() {
      return form.elements.name.value.trim() || "new-workshop";
    }

    function showErrors(errors) {
      for (const slot of document.querySelectorAll(".error[data-for]")) {
        const messages = (errors || {})[slot.dataset.for] || [];
        slot.textContent = messages.join("\n");
        const input = form.elements[slot.dataset.for];
        if (input && input.setAttribute) {
          if (messages.length) input.setAttribute("aria-invalid", "true");
          else input.removeAttribute("aria-invalid");
        }
      }
    }

    function move(index, by) {
      const ids = state.lessons.map((lesson) => lesson.id);
      const other = index + by;
      if (other < 0 || other >= ids.length) return;
      [ids[index], ids[other]] = [ids[other], ids[index]];
      state.order = ids;
      check().then(() => {
        const button = list.querySelectorAll("li")[other]?.querySelector(by < 0 ? ".up" : ".down");
        if (button && !button.disabled) button.focus();
      });
    }

    function drop(id) {
      if (state.add.includes(id)) state.add = state.add.filter((x) => x !== id);
      else if (!state.drop.includes(id)) state.drop.push(id);
      state.order = state.order.filter((x) => x !== id);
      check().then(() => addSelect.focus());
    }

    function render(plan) {
      state.lessons = plan.lessons || [];
      // Once the trainer has ordered the lessons, the file keeps the order shown (prerequisites first).
      if (state.order.length && plan.ok) state.order = state.lessons.map((lesson) => lesson.id);
      list.replaceChildren();
      state.lessons.forEach((lesson, index) => {
        const up = element("button", { type: "button", class: "up", "aria-label": text("move_up") + ": " + lesson.title, text: "↑" });
        const down = element("button", { type: "button", class: "down", "aria-label": text("move_down") + ": " + lesson.title, text: "↓" });
        const remove = element("button", { type: "button", class: "remove", "aria-label": text("remove") + ": " + lesson.title, text: "✕" });
        up.disabled = index === 0;
        down.disabled = index === state.lessons.length - 1;
        up.addEventListener("click", () => move(index, -1));
        down.addEventListener("click", () => move(index, 1));
        remove.addEventListener("click", () => drop(lesson.id));
        list.append(element("li", { "data-id": lesson.id }, [
          element("span", { class: "lesson-title", text: lesson.title }),
          element("span", { class: "minutes", text: " " + lesson.minutes + " " + text("minutes") + " " }),
          element("span", { class: "buttons" }, [up, down, remove]),
        ]));
      });
      addSelect.replaceChildren(...(plan.available || []).map((lesson) =>
        element("option", { value: lesson.id, text: lesson.title + " (" + lesson.minutes + " " + text("minutes") + ")" })));
      document.getElementById("add-button").disabled = !(plan.available || []).length;

      const budget = document.getElementById("budget");
      if (plan.ok) {
        const over = plan.over_budget;
        budget.className = "budget" + (over ? " over" : "");
        budget.textContent = plan.total_minutes + " " + text("minutes") + (plan.budget ? " / " + plan.budget + " " + text("minutes") + " — " + text(over ? "over_budget" : "within_budget") : "") +
          (plan.too_long ? " — " + plan.too_long : "");
        budget.dataset.total = plan.total_minutes;
      }
      const titles = Object.fromEntries([...(plan.lessons || []), ...(plan.available || [])].map((l) => [l.id, l.title]));
      document.getElementById("plan-notes").replaceChildren(...(plan.notes || []).map((note) =>
        element("li", { class: "note-" + note.kind, text: (titles[note.lesson] || note.lesson) + ": " +
          text(note.kind === "pulled-in" ? "pulled_in" : note.kind, { by: note.by.map((id) => titles[id] || id).join(", ") }) })));

      const agenda = document.getElementById("agenda");
      agenda.replaceChildren(...(plan.days || []).map((day) => {
        const table = element("table", { class: "agenda-day" });
        table.append(element("caption", { text: text("day", { number: day.number }) + (day.date ? " — " + day.date : "") }));
        const body = element("tbody");
        for (const slot of day.slots) {
          const label = slot.kind === "lesson" ? slot.title : text(slot.kind);
          body.append(element("tr", { class: "slot-" + slot.kind }, [
            element("td", { class: "clock", text: slot.start + "–" + slot.end }),
            element("th", { scope: "row", text: label }),
            element("td", { text: slot.minutes + " " + text("minutes") }),
          ]));
        }
        table.append(body);
        return table;
      }));
      if (plan.text) document.getElementById("saved-text").textContent = plan.text;
    }

    async function check() {
      const mine = ++checking;
      const answer = await api("POST", "/api/plan/" + encodeURIComponent(name()), values());
      if (mine !== checking) return answer;
      showErrors(answer.data.errors);
      if (answer.data.lessons) render(answer.data);
      document.getElementById("save-state").textContent = text("unsaved");
      return answer;
    }

    async function open(workshop) {
      const mine = ++checking; // an older check's answer, still on its way, must not replace this one
      const answer = await api("GET", "/api/workshops/" + encodeURIComponent(workshop));
      if (mine !== checking) return;
      form.elements.name.value = workshop;
      if (!answer.ok) {
        showErrors(answer.data.errors);
        return;
      }
      fill(answer.data.values);
      showErrors({});
      render(answer.data.plan);
      say(text("loaded"));
      document.getElementById("save-state").textContent = "";
    }

    async function save() {
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(form.elements.name.value.trim())) {
        showErrors({ name: [text("name_needed")] });
        form.elements.name.focus();
        return false;
      }
      const answer = await api("PUT", "/api/workshops/" + encodeURIComponent(name()), values());
      showErrors(answer.data.errors);
      if (answer.data.plan && answer.data.plan.lessons) render(answer.data.plan);
      document.getElementById("save-state").textContent = answer.ok ? text("saved") : text("not_saved");
      if (answer.ok) {
        const picker = document.getElementById("open-workshop");
        if (![...picker.options].some((o) => o.value === name())) picker.append(element("option", { value: name(), text: name() }));
        picker.value = name();
      }
      return answer.ok;
    }

    async function buildAndDownload() {
      if (!(await save())) return;
      const lang = document.getElementById("build-lang").value;
      const progress = document.getElementById("build-progress");
      const status = document.getElementById("build-state");
      const download = document.getElementById("download");
      download.replaceChildren();
      status.textContent = text("building");
      const answer = await api("POST", "/api/builds", { workshop: name(), lang, zip: true });
      if (!answer.ok) {
        status.textContent = text("failed") + ": " + (answer.data.error || "");
        return;
      }
      const result = await follow(answer.data, (data) => {
        progress.max = Math.max(1, data.documents);
        progress.value = data.rendered;
        status.textContent = data.message;
      });
      if (result.state === "done") {
        progress.value = progress.max;
        status.textContent = text("built") + ": " + result.message;
        const link = element("a", { href: "/packs/workshop/" + encodeURIComponent(name()) + "/" + lang + ".zip", download: name() + "-" + lang + ".zip", id: "download-link", text: text("download") });
        download.append(link);
        link.focus();
      } else {
        status.textContent = text("failed") + ": " + result.message + (result.problems.length ? "\n" + result.problems.join("\n") : "");
      }
    }

    form.addEventListener("input", (event) => {
      if (event.target.id === "open-workshop" || event.target.name === "name") return;
      check();
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    document.getElementById("open-workshop").addEventListener("change", (event) => {
      if (event.target.value) open(event.target.value);
    });
    document.getElementById("add-button").addEventListener("click", () => {
      const id = addSelect.value;
      if (!id) return;
      if (state.drop.includes(id)) state.drop = state.drop.filter((x) => x !== id);
      else if (!state.add.includes(id)) state.add.push(id);
      if (state.order.length) state.order.push(id);
      check();
    });
    document.getElementById("save-button").addEventListener("click", save);
    document.getElementById("build-button").addEventListener("click", buildAndDownload);
    listeners.reload.push(() => check());

    if (form.dataset.initial) open(form.dataset.initial);
    else {
      form.elements.date.value = form.dataset.today;
      for (const [key, value] of Object.entries({ start: "09:00", end: "17:30", lunch_at: "12:30", lunch_minutes: 60, break_every: 90, break_minutes: 15, days: 1 })) {
        form.elements[key].value = value;
      }
      check();
    }
  }

  // --- previews --------------------------------------------------------------------------------
  function previewPage() {
    const frame = document.getElementById("preview-frame");
    if (!frame) return;
    const picker = { source: document.getElementById("p-source"), lang: document.getElementById("p-lang"), doc: document.getElementById("p-doc") };
    const pdfState = document.getElementById("pdf-state");
    const pdfLinks = document.getElementById("pdf-links");
    let pdfRun = 0;

    function address() {
      return "/preview/" + picker.source.value + "/" + picker.lang.value + "/" + picker.doc.value;
    }

    function show() {
      const generation = document.body.dataset.generation || "0";
      frame.src = address() + "?g=" + generation;
    }

    async function pdfs() {
      const mine = ++pdfRun;
      const [kind, id] = picker.source.value.split("/");
      const body = { lang: picker.lang.value, formats: ["handout", "guide"] };
      body[kind] = id;
      pdfLinks.replaceChildren();
      pdfState.textContent = text("pdf_building");
      const answer = await api("POST", "/api/builds", body);
      if (!answer.ok) {
        pdfState.textContent = text("failed") + ": " + (answer.data.error || "");
        return;
      }
      const result = await follow(answer.data, (data) => {
        if (mine === pdfRun) pdfState.textContent = text("pdf_building") + " " + data.message;
      });
      if (mine !== pdfRun) return;
      if (result.state !== "done") {
        pdfState.textContent = text("failed") + ": " + result.message;
        return;
      }
      pdfState.textContent = text("pdf_ready") + ":";
      const stamp = "?t=" + Date.now();
      pdfLinks.replaceChildren(...result.files.filter((f) => f.endsWith(".pdf")).map((file) =>
        element("a", { href: "/files/" + result.profile + "/" + result.lang + "/" + file + stamp, class: "pdf-link", text: file })));
    }

    for (const select of Object.values(picker)) select.addEventListener("change", () => { show(); pdfs(); });
    listeners.reload.push((data) => {
      show();
      say(data.errors ? text("errors_found") : text("updated"));
      pdfs();
    });
    show();
    pdfs();
  }

  // --- translations ------------------------------------------------------------------------------
  function translationsPage() {
    for (const button of document.querySelectorAll("button.scaffold")) {
      button.addEventListener("click", async () => {
        const answer = await api("POST", "/api/translations/" + button.dataset.lang + "/" + button.dataset.lesson);
        say(answer.ok ? text("started") + ": " + answer.data.path : text("failed") + ": " + (answer.data.error || ""));
        if (answer.ok) window.location.reload();
      });
    }
    listeners.reload.push(() => window.location.reload());
  }

  ({ lessons: lessonsPage, plan: planPage, preview: previewPage, translations: translationsPage }[page] || (() => {}))();
})();
