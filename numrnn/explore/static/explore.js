// numrnn explorer: the page. Plain JavaScript, no library; every number comes from the JSON API.
"use strict";

// ---- labels in English and Korean (the guide's terms, docs/guide/en.md and ko.md) --------------
const LABELS = {
  en: {
    title: "Watch an LSTM read your review",
    langButton: "한국어",
    model: "Model",
    review: "Review (English)",
    placeholder: "Type or paste a movie review, e.g. the acting was wooden but the story kept me watching",
    analyse: "Analyse",
    or: "or a test-set review",
    reviewIndex: "test review number",
    loadReview: "Load",
    randomReview: "Random",
    tokens: "What the model reads",
    tokensNote: "The last {maxlen} tokens after the IMDB word index (what pad_sequences keeps). " +
      "{oov} out of vocabulary (<OOV>, id 2); <PAD> (id 0) fills the front of a short review.",
    cutLabel: "Cut by MAXLEN = {maxlen}: {n} words before these, not seen by the model:",
    cutMore: "(and {n} more before them)",
    noneCut: "Nothing was cut: the review fits in {maxlen} tokens.",
    prediction: "Prediction",
    pPositive: "P(positive)",
    positive: "positive",
    negative: "negative",
    trueLabel: "true label",
    testReview: "test review #{i}",
    contributions: "Each word's contribution",
    contributionsNote: "Gradient × input on the word's embedding: the sum over d of " +
      "(dp/dx_t,d) · x_t,d, from numrnn's backward pass. Above the line the word pushes " +
      "P(positive) up, below it pushes it down.",
    stepThrough: "Step through time",
    unit: "unit",
    step: "time step",
    word: "word",
    heatmaps: "Gates and states: units × words",
    heatmapsNote: "One row per unit, one column per time step. Click a cell to see its step " +
      "and unit in the equations.",
    scale: "colour scale",
    footer: "numrnn explorer · everything is computed on this machine by numrnn (NumPy); " +
      "the page loads nothing from the internet.",
    computing: "computing…",
    loadingReview: "loading the test review (the first time reads imdb.npz)…",
    noServer: "the explorer server does not answer; is python -m numrnn.explore still running?",
    modelInfo: "{layers} · {params} parameters",
    trained: " · test accuracy {acc} on {n} reviews, {epochs} epoch(s)",
    quick: " (--quick: a first look, not the tutorial's model)",
    masked: "Embedding(mask_zero=True): <PAD> steps are skipped, the state passes through.",
    unmasked: "As in the tutorial, <PAD> steps are read like words (no mask).",
    gate: {
      i: "input gate: how much new content to write",
      f: "forget gate: how much of C_(t-1) to keep",
      g: "candidate content",
      o: "output gate",
      c: "cell state",
      h: "output and hidden state",
    },
    map: {
      i: "i — input gate",
      f: "f — forget gate",
      o: "o — output gate",
      g: "C~ — candidate content (g)",
      c: "C — cell state",
      h: "h — output and hidden state",
    },
  },
  ko: {
    title: "LSTM이 내 리뷰를 읽는 모습 보기",
    langButton: "English",
    model: "모델",
    review: "리뷰 (영어)",
    placeholder: "영화 리뷰를 입력하거나 붙여 넣으세요. 예: the acting was wooden but the story kept me watching",
    analyse: "분석",
    or: "또는 테스트 세트 리뷰",
    reviewIndex: "테스트 리뷰 번호",
    loadReview: "불러오기",
    randomReview: "무작위",
    tokens: "모델이 읽는 것",
    tokensNote: "IMDB 단어 인덱스를 거친 마지막 {maxlen}개 토큰입니다(pad_sequences가 남기는 것). " +
      "어휘에 없는 단어(<OOV>, id 2) {oov}개. 짧은 리뷰는 앞쪽을 <PAD>(id 0)로 채웁니다.",
    cutLabel: "MAXLEN = {maxlen} 때문에 잘린 앞부분 {n}단어 (모델이 보지 못함):",
    cutMore: "(그 앞에 {n}단어 더)",
    noneCut: "잘린 단어가 없습니다: 리뷰가 {maxlen}개 토큰 안에 들어갑니다.",
    prediction: "예측",
    pPositive: "P(긍정)",
    positive: "긍정",
    negative: "부정",
    trueLabel: "실제 레이블",
    testReview: "테스트 리뷰 #{i}",
    contributions: "단어별 기여도",
    contributionsNote: "단어 임베딩에 대한 기울기 × 입력: numrnn의 역전파로 구한 (dp/dx_t,d)와 " +
      "x_t,d의 곱을 d에 대해 더한 값입니다. 선 위는 P(긍정)을 올리는 단어, 선 아래는 내리는 단어입니다.",
    stepThrough: "시점별로 따라가기",
    unit: "유닛",
    step: "시점",
    word: "단어",
    heatmaps: "게이트와 상태: 유닛 × 단어",
    heatmapsNote: "행은 유닛, 열은 시점입니다. 칸을 누르면 그 시점과 유닛의 수식을 봅니다.",
    scale: "색 범위",
    footer: "numrnn 탐색기 · 모든 계산은 이 컴퓨터에서 numrnn(NumPy)이 합니다. " +
      "페이지는 인터넷에서 아무것도 불러오지 않습니다.",
    computing: "계산 중…",
    loadingReview: "테스트 리뷰를 불러오는 중 (처음에는 imdb.npz를 읽습니다)…",
    noServer: "탐색기 서버가 응답하지 않습니다. python -m numrnn.explore 가 아직 실행 중인가요?",
    modelInfo: "{layers} · 파라미터 {params}개",
    trained: " · 테스트 정확도 {acc} (리뷰 {n}개), {epochs} 에폭",
    quick: " (--quick: 맛보기용, 튜토리얼 모델이 아님)",
    masked: "Embedding(mask_zero=True): <PAD> 시점은 건너뛰고 상태를 그대로 넘깁니다.",
    unmasked: "튜토리얼처럼 <PAD> 시점도 단어처럼 읽습니다 (마스크 없음).",
    gate: {
      i: "입력 게이트: 새 내용을 얼마나 쓸지",
      f: "망각 게이트: C_(t-1)을 얼마나 남길지",
      g: "후보 내용",
      o: "출력 게이트",
      c: "셀 상태",
      h: "출력이자 은닉 상태",
    },
    map: {
      i: "i — 입력 게이트",
      f: "f — 망각 게이트",
      o: "o — 출력 게이트",
      g: "C~ — 후보 내용 (g)",
      c: "C — 셀 상태",
      h: "h — 출력이자 은닉 상태",
    },
  },
};

const MAPS = ["i", "f", "o", "g", "c", "h"];
const state = { lang: "en", models: [], result: null, step: 1, unit: 0, review: null };
const $ = (id) => document.getElementById(id);

function L(key, values) {
  let text = LABELS[state.lang][key];
  for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(v);
  return text;
}

function fmt(v) {
  return (v < 0 ? "−" : "") + Math.abs(v).toFixed(4);
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- talking to the server ---------------------------------------------------------------------
async function api(path, body) {
  let response;
  try {
    response = await fetch(path, body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(L("noServer"));
  }
  const data = await response.json();
  if (!response.ok) throw new Error(data.error + " (HTTP " + response.status + ")");
  return data;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function loadModels() {
  try {
    state.models = (await api("/api/models")).models;
  } catch (err) {
    showError(err.message);
    return;
  }
  const select = $("model");
  select.textContent = "";
  for (const m of state.models) select.append(el("option", { value: m.name }, m.name));
  showModelInfo();
}

function currentModel() {
  return state.models.find((m) => m.name === $("model").value);
}

function showModelInfo() {
  const m = currentModel();
  if (!m) return;
  let text = L("modelInfo", { layers: m.layers, params: m.params.toLocaleString("en") });
  const t = m.training || {};
  if (t.test_acc !== undefined) {
    text += L("trained", { acc: t.test_acc.toFixed(4), n: t.test_reviews, epochs: t.epochs_run });
  }
  if (t.quick) text += L("quick");
  $("model-info").textContent = text;
}

async function analyse() {
  const text = $("text").value;
  const body = { model: $("model").value };
  if (state.review && state.review.text === text) body.review = state.review.index;
  else body.text = text;
  $("status").textContent = L("computing");
  try {
    const result = await api("/api/analyse", body);
    showError("");
    state.result = result;
    state.step = result.maxlen;
    state.unit = Math.min(state.unit, result.units - 1);
    render();
  } catch (err) {
    showError(err.message);
    state.result = null;
    $("result").hidden = true;
  } finally {
    $("status").textContent = "";
  }
}

async function loadReview(index) {
  $("status").textContent = L("loadingReview");
  try {
    const r = await api("/api/review" + (index === null ? "" : "?index=" + index));
    state.review = r;
    $("review-index").value = r.index;
    $("text").value = r.text;
    showReviewLabel();
  } catch (err) {
    showError(err.message);
    $("status").textContent = "";
    return;
  }
  await analyse();
}

function showReviewLabel() {
  const r = state.review;
  $("review-label").textContent = r && $("text").value === r.text
    ? L("testReview", { i: r.index }) + " · " + L("trueLabel") + ": " +
      L(r.label === 1 ? "positive" : "negative") + " (" + r.label + ")"
    : "";
}

// ---- drawing the result ------------------------------------------------------------------------
function render() {
  const r = state.result;
  if (!r) return;
  $("result").hidden = false;
  renderTokens(r);
  renderPrediction(r);
  renderContributions(r);
  renderMaps(r);
  const unit = $("unit");
  unit.textContent = "";
  for (let j = 0; j < r.units; j++) unit.append(el("option", { value: j }, String(j + 1)));
  unit.value = state.unit;
  $("step").max = r.maxlen;
  renderStep();
}

function renderTokens(r) {
  $("tokens-note").textContent = L("tokensNote", { maxlen: r.maxlen, oov: r.oov }) + " " +
    L(r.masked ? "masked" : "unmasked");
  const cut = $("cut");
  cut.textContent = "";
  if (r.cut_count === 0) {
    cut.textContent = L("noneCut", { maxlen: r.maxlen });
  } else {
    cut.append(el("span", {}, L("cutLabel", { maxlen: r.maxlen, n: r.cut_count }) + " "));
    if (r.cut_count > r.cut.length) {
      cut.append(el("span", {}, L("cutMore", { n: r.cut_count - r.cut.length }) + " "));
    }
    for (const t of r.cut) cut.append(el("span", { class: "cut-word " + t.kind }, t.word));
  }
  const strip = $("tokens");
  strip.textContent = "";
  r.steps.forEach((t, k) => {
    const box = el("div", { class: "tok " + t.kind, "data-step": k, title: t.word + " (" + t.kind + ")" });
    box.append(el("span", { class: "t" }, "t=" + (k + 1)));
    box.append(el("span", { class: "w" }, t.word));
    box.append(el("span", { class: "id" }, "id " + t.id));
    box.addEventListener("click", () => { state.step = k + 1; renderStep(); });
    strip.append(box);
  });
}

function renderPrediction(r) {
  const box = $("prediction");
  box.textContent = "";
  box.append(el("span", {}, L("pPositive") + " = "));
  box.append(el("span", { id: "p-value", class: "p", "data-value": String(r.prediction) },
    r.prediction.toFixed(4)));
  const bar = el("span", { class: "bar" });
  const fill = el("span");
  fill.style.width = (100 * r.prediction).toFixed(1) + "%";
  bar.append(fill);
  box.append(bar);
  box.append(el("span", { id: "p-label", class: r.label }, "→ " + L(r.label)));
  if (r.source.kind === "review") {
    box.append(el("span", { class: "note" }, "   (" + L("trueLabel") + ": " +
      L(r.source.label === 1 ? "positive" : "negative") + ")"));
  }
}

function renderContributions(r) {
  const strip = $("contributions");
  strip.textContent = "";
  const top = Math.max(1e-12, ...r.contributions.map(Math.abs));
  r.contributions.forEach((v, k) => {
    const col = el("div", { class: "contrib", "data-step": k, "data-value": String(v),
      title: r.steps[k].word + ": " + fmt(v) });
    col.append(el("div", { class: "axis" }));
    const bar = el("div", { class: "barv " + (v >= 0 ? "up" : "down") });
    bar.style.height = (40 * Math.abs(v) / top).toFixed(1) + "%";
    col.append(bar);
    col.append(el("div", { class: "w" }, r.steps[k].word));
    col.append(el("div", { class: "v" }, fmt(v)));
    col.addEventListener("click", () => { state.step = k + 1; renderStep(); });
    strip.append(col);
  });
}

function isUnitInterval(r, name) {
  if (name === "i" || name === "f" || name === "o") return true;
  return r.activation !== "tanh" && r.activation !== "softsign" && name !== "c" &&
    r.internals[name].every((row) => row.every((v) => v >= 0 && v <= 1));
}

// White at the middle of the range (0, or 0.5 for a gate), blue above it, red below it:
// a gate near 0 (closed) is red, near 1 (open) blue.
function colour(v, scale, unitInterval) {
  const d = unitInterval ? (v - 0.5) / 0.5 : v / scale;
  const a = Math.min(1, Math.abs(d));
  const [r, g, b] = d >= 0 ? [36, 87, 197] : [179, 38, 30];
  const mix = (c) => Math.round(255 + (c - 255) * a);
  return "rgb(" + mix(r) + "," + mix(g) + "," + mix(b) + ")";
}

function renderMaps(r) {
  const maps = $("maps");
  maps.textContent = "";
  for (const name of MAPS) {
    const values = r.internals[name]; // [step][unit]
    const unitInterval = isUnitInterval(r, name);
    let scale = 1;
    if (name === "c") scale = Math.max(1e-12, ...values.map((row) => Math.max(...row.map(Math.abs))));
    const box = el("div", { class: "map", id: "map-" + name });
    box.append(el("h3", {}, LABELS[state.lang].map[name]));
    const table = el("table");
    const head = el("tr");
    head.append(el("th"));
    r.steps.forEach((t) => {
      const th = el("th", { class: "word" });
      th.append(el("div", {}, t.word));
      head.append(th);
    });
    table.append(head);
    for (let j = 0; j < r.units; j++) {
      const tr = el("tr");
      tr.append(el("th", { class: "unit" }, String(j + 1)));
      for (let k = 0; k < r.maxlen; k++) {
        const v = values[k][j];
        const td = el("td", {
          class: "cell", "data-map": name, "data-step": k, "data-unit": j,
          "data-value": String(v),
          title: name + " · " + L("unit") + " " + (j + 1) + " · t=" + (k + 1) + " \"" +
            r.steps[k].word + "\" = " + fmt(v),
        });
        td.style.background = colour(v, scale, unitInterval);
        td.addEventListener("click", () => { state.step = k + 1; state.unit = j; $("unit").value = j; renderStep(); });
        tr.append(td);
      }
      table.append(tr);
    }
    box.append(table);
    box.append(el("div", { class: "scale" }, L("scale") + ": " +
      (unitInterval ? "0 (red) … 0.5 … 1 (blue)" : fmt(-scale) + " (red) … 0 … " + fmt(scale) +
        " (blue)")));
    maps.append(box);
  }
}

// ---- one time step: the equations with their numbers ------------------------------------------
function symbol(activation) {
  return { sigmoid: "σ", hard_sigmoid: "hard_σ" }[activation] || activation;
}

function renderStep() {
  const r = state.result;
  if (!r) return;
  const k = state.step - 1;
  const j = state.unit;
  $("step").value = state.step;
  $("step-label").textContent = L("step") + " t = " + state.step + " / " + r.maxlen;
  for (const node of document.querySelectorAll(".now")) node.classList.remove("now");
  for (const node of document.querySelectorAll('[data-step="' + k + '"]')) node.classList.add("now");
  for (const node of document.querySelectorAll(".chosen")) node.classList.remove("chosen");
  for (const node of document.querySelectorAll('td[data-step="' + k + '"][data-unit="' + j + '"]')) {
    node.classList.add("chosen");
  }

  const v = (name) => r.internals[name][k][j];
  const sg = symbol(r.recurrent_activation);
  const act = symbol(r.activation);
  const token = r.steps[k];
  const box = $("equations");
  box.textContent = "";
  box.append(el("div", { class: "head" }, "t = " + state.step + " · " + L("word") + " \"" +
    token.word + "\" (id " + token.id + ") · " + L("unit") + " " + (j + 1)));

  const line = (name, lhs, parts, result, what) => {
    const div = el("div", { class: "eq", "data-name": name });
    div.append(el("span", {}, lhs + " = " + parts + " = "));
    div.append(el("span", { class: "eq-value", "data-name": name, "data-value": String(result) },
      fmt(result)));
    div.append(el("span", { class: "what" }, "    " + what));
    box.append(div);
  };
  const gates = [["f", "f", sg, "f"], ["i", "i", sg, "i"], ["g", "c", act, "C~"], ["o", "o", sg, "o"]];
  for (const [name, sub, fn, shown] of gates) {
    const xw = r.parts["xw_" + name][k][j];
    const hu = r.parts["hu_" + name][k][j];
    const b = r.parts["b_" + name][j];
    const z = r.internals["z_" + name][k][j];
    line(name, shown + "_t",
      fn + "(x_t W_" + sub + " + h_(t-1) U_" + sub + " + b_" + sub + ") = " + fn + "(" +
      fmt(xw) + " + " + fmt(hu) + " + " + fmt(b) + ") = " + fn + "(" + fmt(z) + ")",
      v(name), LABELS[state.lang].gate[name]);
  }
  const cPrev = r.c_prev[k][j];
  line("c", "C_t", "f_t * C_(t-1) + i_t * C~_t = " + fmt(v("f")) + " × " + fmt(cPrev) + " + " +
    fmt(v("i")) + " × " + fmt(v("g")), v("c"), LABELS[state.lang].gate.c);
  line("h", "h_t", "o_t * " + act + "(C_t) = " + fmt(v("o")) + " × " + fmt(v("act_c")), v("h"),
    LABELS[state.lang].gate.h);
}

// ---- language ------------------------------------------------------------------------------
function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = L(node.getAttribute("data-i18n"));
  }
  $("text").placeholder = L("placeholder");
  $("lang").textContent = L("langButton");
  showModelInfo();
  showReviewLabel();
  render();
}

// ---- wiring --------------------------------------------------------------------------------
function setStep(step) {
  if (!state.result) return;
  state.step = Math.max(1, Math.min(state.result.maxlen, step));
  renderStep();
}

$("analyse").addEventListener("click", analyse);
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) analyse();
});
$("text").addEventListener("input", showReviewLabel);
$("model").addEventListener("change", () => { showModelInfo(); if (state.result) analyse(); });
$("load-review").addEventListener("click", () => {
  const i = parseInt($("review-index").value, 10);
  loadReview(Number.isNaN(i) ? 0 : i);
});
$("random-review").addEventListener("click", () => loadReview(null));
$("prev").addEventListener("click", () => setStep(state.step - 1));
$("next").addEventListener("click", () => setStep(state.step + 1));
$("step").addEventListener("input", () => setStep(parseInt($("step").value, 10)));
$("unit").addEventListener("change", () => { state.unit = parseInt($("unit").value, 10); renderStep(); });
$("lang").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "ko" : "en";
  applyLanguage();
});

applyLanguage();
loadModels();
