/* Trainkit slide engine: keyboard, clicker, touch and buttons; hash per slide; speaker view,
   overview and help. No network, no storage, no dependencies. */
(function () {
  "use strict";
  var deck = document.getElementById("deck");
  var slides = Array.prototype.slice.call(deck.querySelectorAll(".slide"));
  var body = document.body;
  var counter = document.getElementById("counter");
  var status = document.getElementById("slide-status");
  var bar = document.getElementById("progress-bar");
  var current = 0;
  var started = null;
  var returnFocus = null;
  var audience = null;
  var isAudience = /^#audience/.test(location.hash);

  function clamp(n) { return Math.max(0, Math.min(slides.length - 1, n)); }

  function fromHash() {
    var match = /^#(?:audience-)?\/?(\d+)/.exec(location.hash);
    return match ? clamp(parseInt(match[1], 10) - 1) : 0;
  }

  function fit() {
    var scale = Math.min(window.innerWidth / 1280, window.innerHeight / 720);
    document.documentElement.style.setProperty("--scale", String(scale));
    var speaker = document.getElementById("speaker");
    if (speaker) {
      var small = Math.min((window.innerWidth * 0.58) / 1280, (window.innerHeight * 0.62) / 720);
      document.documentElement.style.setProperty("--speaker-scale", String(small));
      document.documentElement.style.setProperty("--next-scale", String(small * 0.55));
    }
  }

  function show(n, fromRemote) {
    current = clamp(n);
    // Slides other than the current one are display: none, so out of the accessibility tree
    // and the tab order; in the overview all are shown and aria-current marks the highlighted one.
    slides.forEach(function (slide, i) {
      slide.classList.toggle("current", i === current);
      if (i === current) { slide.setAttribute("aria-current", "true"); } else { slide.removeAttribute("aria-current"); }
    });
    counter.textContent = (current + 1) + " / " + slides.length;
    // Said by a screen reader: "Slide 3 of 12: <title>" (the slide's translated label).
    var heading = slides[current].querySelector("h1, h2");
    status.textContent = slides[current].getAttribute("aria-label") + (heading ? ": " + heading.textContent : "");
    if (body.classList.contains("overview-mode")) {
      slides[current].scrollIntoView({ block: "nearest" });
      // The keyboard's focus follows the highlight, so that Tab goes on from the tile it shows.
      if (document.activeElement !== slides[current]) { slides[current].focus({ preventScroll: true }); }
    }
    bar.style.inlineSize = ((current + 1) / slides.length * 100) + "%";
    var hash = (isAudience ? "#audience-" : "#/") + (current + 1);
    if (location.hash !== hash) { history.replaceState(null, "", hash); }
    renderSpeaker();
    if (audience && !audience.closed && !fromRemote) { audience.postMessage({ trainkit: "go", slide: current }, "*"); }
  }

  function renderSpeaker() {
    if (!body.classList.contains("speaker-mode")) { return; }
    var now = document.getElementById("speaker-current");
    var next = document.getElementById("speaker-next");
    var notes = document.getElementById("speaker-notes");
    now.innerHTML = "";
    next.innerHTML = "";
    now.appendChild(copy(slides[current]));
    if (current + 1 < slides.length) {
      next.appendChild(copy(slides[current + 1]));
    } else {
      next.textContent = next.getAttribute("data-end");
    }
    var source = slides[current].querySelector(".notes");
    notes.innerHTML = source ? source.innerHTML : "";
    if (!notes.innerHTML) { notes.textContent = notes.getAttribute("data-empty"); }
  }

  // A slide shown again in the speaker view: no second element with the same id, and not
  // announced as the current slide.
  function copy(slide) {
    var clone = slide.cloneNode(true);
    clone.removeAttribute("id");
    clone.removeAttribute("aria-current");
    clone.classList.add("current");
    return clone;
  }

  function tick() {
    var timer = document.getElementById("timer");
    if (!timer || started === null) { return; }
    var seconds = Math.floor((Date.now() - started) / 1000);
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    timer.textContent = (h ? h + ":" : "") + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function toggle(mode, force) {
    var on = body.classList.toggle(mode, force);
    if (mode === "speaker-mode" && on) {
      if (started === null) { started = Date.now(); }
      body.classList.remove("overview-mode");
      fit();
      renderSpeaker();
      tick();
    }
    if (mode === "overview-mode") {
      // In the overview every tile is a stop for Tab; out of it only the controls are.
      slides.forEach(function (slide) {
        if (on) { slide.tabIndex = 0; } else { slide.removeAttribute("tabindex"); }
      });
      if (on) {
        body.classList.remove("speaker-mode");
        slides[current].scrollIntoView({ block: "nearest" });
        slides[current].focus({ preventScroll: true });
      } else if (slides.indexOf(document.activeElement) >= 0) {
        document.activeElement.blur();
      }
    }
    var help = document.getElementById("help");
    var open = body.classList.contains("help-mode");
    // The help is a modal dialog: the rest is inert while it is open, focus goes into it and
    // comes back where it was when it closes.
    if (open === help.hidden) {
      help.hidden = !open;
      Array.prototype.forEach.call(document.querySelectorAll("#deck, #speaker, .controls"), function (part) { part.inert = open; });
      if (open) { returnFocus = document.activeElement; document.getElementById("help-close").focus(); }
      else if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
    }
    return on;
  }

  function openAudience() {
    audience = window.open(location.href.split("#")[0] + "#audience-" + (current + 1), "trainkit-audience");
  }

  var keys = {
    ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1, Enter: 1, n: 1,
    ArrowLeft: -1, ArrowUp: -1, PageUp: -1, Backspace: -1, p: -1
  };

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    // Enter and Space on a focused button or link press it, as everywhere else.
    if ((key === "Enter" || key === " ") && event.target.closest && event.target.closest("a, button, input, select, textarea, summary")) { return; }
    if (key === "Enter" && body.classList.contains("overview-mode")) { toggle("overview-mode", false); }
    else if (key in keys) {
      var step = keys[key];
      if (key === " " && event.shiftKey) { step = -1; }
      show(current + step);
    } else if (key === "Home") { show(0); }
    else if (key === "End") { show(slides.length - 1); }
    else if (key === "s" || key === "S") { toggle("speaker-mode"); }
    else if (key === "o" || key === "O") { toggle("overview-mode"); }
    else if (key === "?") { toggle("help-mode"); }
    else if (key === "r" && body.classList.contains("speaker-mode")) { started = Date.now(); tick(); }
    else if (key === "Escape") { toggle("overview-mode", false); toggle("help-mode", false); toggle("speaker-mode", false); }
    else { return; }
    event.preventDefault();
  });

  var touchX = null, touchY = null;
  deck.addEventListener("touchstart", function (event) {
    touchX = event.changedTouches[0].clientX;
    touchY = event.changedTouches[0].clientY;
  }, { passive: true });
  deck.addEventListener("touchend", function (event) {
    if (touchX === null) { return; }
    var dx = event.changedTouches[0].clientX - touchX;
    var dy = event.changedTouches[0].clientY - touchY;
    touchX = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy)) {
      var forward = document.documentElement.dir === "rtl" ? dx > 0 : dx < 0;
      show(current + (forward ? 1 : -1));
    }
  });

  slides.forEach(function (slide, i) {
    slide.addEventListener("click", function () {
      if (body.classList.contains("overview-mode")) { toggle("overview-mode", false); show(i); }
    });
    // Tab onto a tile in the overview highlights it; Enter then opens it.
    slide.addEventListener("focus", function () {
      if (body.classList.contains("overview-mode") && i !== current) { show(i); }
    });
  });

  function on(id, handler) {
    var button = document.getElementById(id);
    if (button) { button.addEventListener("click", handler); }
  }
  on("prev", function () { show(current - 1); });
  on("next", function () { show(current + 1); });
  on("speaker-button", function () { toggle("speaker-mode"); });
  on("overview-button", function () { toggle("overview-mode"); });
  on("help-button", function () { toggle("help-mode"); });
  on("help-close", function () { toggle("help-mode", false); });
  on("audience-button", openAudience);
  on("timer-reset", function () { started = Date.now(); tick(); });

  var idle = null;
  document.addEventListener("mousemove", function () {
    body.classList.add("pointer-active");
    clearTimeout(idle);
    idle = setTimeout(function () { body.classList.remove("pointer-active"); }, 2500);
  });

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (data && data.trainkit === "go" && typeof data.slide === "number") { show(data.slide, true); }
  });
  window.addEventListener("hashchange", function () { show(fromHash()); });
  window.addEventListener("resize", fit);
  setInterval(tick, 1000);

  if (isAudience) { body.classList.add("audience"); }
  body.classList.add("js");
  fit();
  show(fromHash());
})();
