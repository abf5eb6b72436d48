// honkwatch review pages: keyboard shortcuts and small helpers. No framework, no build step.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName));
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }

  // Review queue: J/K move the highlighted row, Enter or O opens it; clicking a row opens it.
  function setupQueue(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
    var index = Math.max(0, rows.findIndex(function (r) { return r.classList.contains("selected"); }));
    function select(i) {
      if (!rows.length) return;
      rows[index].classList.remove("selected");
      index = Math.min(rows.length - 1, Math.max(0, i));
      rows[index].classList.add("selected");
      rows[index].scrollIntoView({ block: "nearest" });
    }
    rows.forEach(function (row, i) {
      row.addEventListener("click", function (e) {
        if (e.target.tagName !== "A") { index = i; window.location.href = row.dataset.href; }
      });
    });
    document.addEventListener("keydown", function (e) {
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j") select(index + 1);
      else if (e.key === "k") select(index - 1);
      else if ((e.key === "Enter" || e.key === "o") && rows.length) window.location.href = rows[index].dataset.href;
    });
  }

  // Case page: the marker on the located source, the spectrogram playhead, and the shortcuts.
  function setupCase() {
    var frame = document.getElementById("wide-frame");
    var img = document.getElementById("wide-img");
    var marker = document.getElementById("source-marker");
    function placeMarker() {
      if (!marker || !img.naturalWidth) return;
      marker.style.left = (100 * parseFloat(frame.dataset.px) / img.naturalWidth) + "%";
      marker.style.top = (100 * parseFloat(frame.dataset.py) / img.naturalHeight) + "%";
      marker.classList.add("on");
    }
    if (marker) { if (img.complete) placeMarker(); else img.addEventListener("load", placeMarker); }

    var audio = document.getElementById("audio-beam");
    var playhead = document.getElementById("playhead");
    if (audio && playhead) {
      audio.addEventListener("timeupdate", function () {
        if (!audio.duration) return;
        playhead.style.display = "block";
        playhead.style.left = (100 * audio.currentTime / audio.duration) + "%";
      });
    }

    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && typing(e.target)) { e.target.blur(); return; }
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      var form;
      switch (e.key) {
        case "c": case "C":
          form = document.getElementById("confirm-form");
          if (form) { e.preventDefault(); form.submit(); }
          break;
        case "r": case "R":
          var reason = document.getElementById("reject-reason");
          if (reason) { e.preventDefault(); reason.focus(); }
          break;
        case "p": case "P":
          var plate = document.getElementById("plate-input");
          if (plate) { e.preventDefault(); plate.focus(); plate.select(); }
          break;
        case " ":
          if (audio) { e.preventDefault(); if (audio.paused) audio.play(); else audio.pause(); }
          break;
        case "m": case "M":
          if (marker) marker.classList.toggle("on");
          break;
        case "j": go("next-case"); break;
        case "k": go("prev-case"); break;
        case "q": window.location.href = document.querySelector(".back").href; break;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var queue = document.getElementById("queue");
    if (queue) setupQueue(queue);
    if (document.body.classList.contains("case-page")) setupCase();
  });
})();
