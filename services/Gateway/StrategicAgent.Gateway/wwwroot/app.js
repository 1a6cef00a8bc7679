// Asks through POST /api/v1/agent/ask/stream and renders the server-sent events as they arrive.
// EventSource cannot POST or send headers, so the stream is read with fetch and parsed here.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const keyInput = $("key");
  keyInput.value = sessionStorage.getItem("sa-api-key") || "";

  $("ask").addEventListener("submit", async (e) => {
    e.preventDefault();
    const key = keyInput.value.trim();
    const question = $("question").value.trim();
    if (!key || !question) return;
    sessionStorage.setItem("sa-api-key", key);
    reset();
    $("go").disabled = true;
    try {
      const res = await fetch("/api/v1/agent/ask/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-Api-Key": key },
        body: JSON.stringify({ question }),
      });
      if (!res.ok) {
        showError(await problemText(res));
        return;
      }
      await readEvents(res.body, onEvent);
    } catch (err) {
      showError(String(err));
    } finally {
      $("go").disabled = false;
    }
  });

  function onEvent(type, data) {
    if (type === "step") addStep(data);
    else if (type === "answer") showAnswer(data);
    else if (type === "error") showError(data.detail || data.title || "The request failed.");
  }

  async function readEvents(body, handler) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) type = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) handler(type, JSON.parse(data.join("\n")));
      }
    }
  }

  async function problemText(res) {
    try {
      const p = await res.json();
      return `${res.status} ${p.title || ""}: ${p.detail || ""}`;
    } catch {
      return `${res.status} ${res.statusText}`;
    }
  }

  function reset() {
    for (const id of ["progress", "result", "error"]) $(id).hidden = true;
    $("steps").replaceChildren();
    $("table").replaceChildren();
  }

  function addStep(s) {
    $("progress").hidden = false;
    const li = document.createElement("li");
    const verdict = document.createElement("span");
    verdict.className = `verdict ${s.verdict}`;
    verdict.textContent = s.verdict;
    const retry = s.attempt > 1 ? ` (attempt ${s.attempt})` : "";
    li.append(verdict, ` ${s.stage}${retry} — ${s.detail || ""} `, small(`${Math.round(s.ms)} ms`));
    $("steps").append(li);
  }

  function showAnswer(a) {
    $("result").hidden = false;
    $("status").textContent = a.status;
    $("answer").textContent = a.answer;
    $("sql").textContent = a.sql || "";
    $("sql-box").hidden = !a.sql;
    const table = $("table");
    if (a.columns && a.columns.length) {
      const head = table.createTHead().insertRow();
      for (const c of a.columns) {
        const th = document.createElement("th");
        th.textContent = c;
        head.append(th);
      }
      const tbody = table.createTBody();
      for (const row of a.rows || []) {
        const tr = tbody.insertRow();
        for (const v of row) tr.insertCell().textContent = v === null ? "∅" : String(v);
      }
    }
  }

  function showError(text) {
    $("error").hidden = false;
    $("error-text").textContent = text;
  }

  function small(text) {
    const s = document.createElement("small");
    s.textContent = text;
    return s;
  }
})();
