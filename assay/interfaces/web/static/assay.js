// assay — a little plain JavaScript: paragraph targeting, more results on scroll, uploads with progress.
"use strict";

function focusTarget() {
  document.querySelectorAll(".para.target").forEach((el) => el.classList.remove("target"));
  const id = decodeURIComponent(location.hash.slice(1));
  if (!/^p\d+$/.test(id)) return;
  const el = document.getElementById(id);
  if (!el) return;
  el.classList.add("target");
  el.scrollIntoView({ block: "center" });
}

function moreOnScroll() {
  const list = document.getElementById("results");
  const pager = document.querySelector(".pager");
  if (!list || !pager || !("IntersectionObserver" in window)) return;
  let loading = false;
  const observer = new IntersectionObserver(async (entries) => {
    const next = pager.querySelector("a.next");
    if (!next || loading || !entries.some((e) => e.isIntersecting)) return;
    loading = true;
    try {
      const response = await fetch(next.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      page.querySelectorAll("#results > li.card").forEach((li) => list.appendChild(document.adoptNode(li)));
      const newer = page.querySelector(".pager a.next");
      if (newer) next.href = newer.href; else next.remove();
      pager.querySelector("a[rel=prev]")?.remove();
    } finally {
      loading = false;
    }
  });
  observer.observe(pager);
}

function uploadRow(list, file) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "file";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  const outcome = document.createElement("span");
  outcome.className = "outcome";
  li.append(name, bar, outcome);
  list.appendChild(li);
  return { li, bar, outcome };
}

function showOutcome(row, labels, result) {
  const status = result.status || "failed";
  row.li.dataset.status = status;
  row.outcome.className = "outcome status-" + status;
  row.outcome.textContent = labels[status] || status;
  const reason = result.reason || result.error;
  if (reason) row.outcome.append(" — " + reason);
  if (result.ids && result.ids.length && status !== "quarantined") {
    const link = document.createElement("a");
    link.href = "/doc/" + encodeURIComponent(result.ids[0]);
    link.textContent = labels.open;
    row.outcome.append(" · ", link);
  }
}

function sendFile(form, file, labels, list) {
  const row = uploadRow(list, file);
  const data = new FormData();
  data.append("files", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) row.bar.value = (100 * e.loaded) / e.total; };
  xhr.onload = () => {
    row.bar.value = 100;
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) { body = { error: xhr.statusText }; }
    showOutcome(row, labels, xhr.status === 200 && body.files ? body.files[0] : { status: "failed", error: body.error });
  };
  xhr.onerror = () => showOutcome(row, labels, { status: "failed", error: "network error" });
  xhr.send(data);
}

function uploads() {
  const form = document.getElementById("upload-form");
  const input = document.getElementById("upload-input");
  const list = document.getElementById("upload-list");
  if (!form || !input || !list) return;
  const labels = { ...form.dataset };
  const sendAll = (files) => Array.from(files).forEach((f) => sendFile(form, f, labels, list));
  input.addEventListener("change", () => { sendAll(input.files); input.value = ""; });
  form.addEventListener("submit", (e) => { e.preventDefault(); sendAll(input.files); });
  form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("over"); });
  form.addEventListener("dragleave", () => form.classList.remove("over"));
  form.addEventListener("drop", (e) => {
    e.preventDefault();
    form.classList.remove("over");
    sendAll(e.dataTransfer.files);
  });
}

window.addEventListener("hashchange", focusTarget);
document.addEventListener("DOMContentLoaded", () => {
  focusTarget();
  moreOnScroll();
  uploads();
});
