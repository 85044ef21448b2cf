"""A local imitation of TripAdvisor's review pages: try the scraper offline.

    python -m numrnn.scraper.demo_site [--port 8000] [--seed 0]   # prints the addresses

``/restaurant?page=1`` is the chapter's restaurant: three pages linked by a "다음" (next)
link. Long reviews show a prefix ending in "…" and a "더보기" (more) link; their full text
is *not* in the page: clicking the link fetches it from /full/<id> and shows it after a
short delay. One more-link sits under an overlay, one expansion replaces the whole
paragraph (stale element references), one review has no rating, one is short and has no
more-link. Texts are Korean with newlines, quotes and emoji.

``/restaurant/<k>?page=1`` (k = 1..RESTAURANTS) are more restaurants whose reviews are
generated from ``--seed`` (enough of them to train and test a sentiment model); ``/``
lists them.

Query options make any page misbehave the way live sites do (the tests use them; they are
kept in the next-page links): ``late=MS`` more-links added MS ms after load;
``expand_ms=MS`` expansion delay (default 300); ``broken=1`` more-links do nothing;
``barrier=1`` expansions happen only once every more-link of the page was clicked (a
one-at-a-time scraper gets them after 2 s, and ``/log`` records ``slow``); ``fail=P`` page P
answers HTTP 500 (``fail_times=K``: only its first K requests, counted per ``run=TOKEN``);
``loop=1`` the last page's next link leads back to page 1 (``loop=lap``: to page 1 at
another address, ``&lap=2``); ``next=button|aria|class|
javascript`` the last page's next link is a disabled ``<button>``, an
``aria-disabled="true"`` link, a link with class ``disabled`` (all without an address)
or a ``javascript:`` link that does nothing; ``layout=2020s`` the 2020s card markup;
``consent=1`` a cookie banner hides the reviews until its button is clicked (remembered
in a cookie).
"""

from __future__ import annotations

import argparse
import html
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

PAGES = [
    [
        {"id": "r1", "score": 50,
         "text": "정말 맛있어요!\n고기가 \"입에서 녹는\" 맛이었고, 직원분들도 친절했어요 😀 "
                 "다음에 또 올게요. 가족 모임 장소로 강력 추천합니다."},
        {"id": "r2", "score": 20, "text": "짧고 별로."},
        {"id": "r3", "score": None,
         "text": "평점이 없는 리뷰입니다. 이 리뷰는 건너뛰어야 합니다."},
        {"id": "r4", "score": 40,
         "text": "분위기가 좋아요.\n\n'가성비'는 조금 아쉽지만 서비스, 음식, 청결 모두 "
                 "만족스러웠습니다 👍🍜"},
    ],
    [
        {"id": "r5", "score": 10, "overlay": True,
         "text": "최악이었어요... 주문이 40분 늦게 나왔고, 음식은 식어 있었습니다.\n"
                 "다시는 안 갈 거예요 😡"},
        {"id": "r6", "score": 30, "replace": True,
         "text": "보통이에요. 특별히 나쁘지도 좋지도 않은, 평범한 동네 식당의 맛입니다. "
                 "주차는 불편해요."},
        {"id": "r7", "score": 50, "text": "국민대학 근처 최고의 맛집!"},
    ],
    [
        {"id": "r8", "score": 40,
         "text": "런치 세트가 \"훌륭\"합니다, 특히 된장찌개.\n"
                 "줄이 길어서 일찍 가는 걸 추천해요 🕚 가격도 착해요."},
        {"id": "r9", "score": 30, "text": "그냥 그래요"},
    ],
]
PREFIX = 20  # characters shown before "…더보기"
ELLIPSIS = "…"
RESTAURANTS, GENERATED_PAGES, PER_PAGE = 6, 3, 12

_POSITIVE = ["정말 맛있어요", "직원분들이 친절해요", "분위기가 최고예요", "또 오고 싶어요",
             "가성비가 훌륭해요", "고기가 입에서 녹아요", "강력 추천합니다", "국물이 진하고 깊어요",
             "디저트까지 완벽했어요", "가족 모임에 딱이에요", "양이 넉넉해요", "반찬이 신선해요"]
_NEGATIVE = ["너무 별로였어요", "직원이 불친절했어요", "음식이 식어서 나왔어요",
             "다시는 안 갈 거예요", "가격에 비해 양이 적어요", "위생이 걱정돼요",
             "사십 분이나 기다렸어요", "너무 짜고 맛이 없어요", "실망스러웠어요",
             "주문이 자꾸 틀렸어요", "테이블이 지저분해요", "비싸기만 해요"]
_NEUTRAL = ["주차는 조금 불편해요", "점심시간에는 줄이 길어요", "메뉴가 다양해요",
            "역에서 가까워요", "2층에도 자리가 있어요", "평일 저녁에 갔어요"]
_FOODS = ["김치찌개", "된장찌개", "불고기", "비빔밥", "냉면", "삼겹살", "떡볶이", "갈비탕"]
_NAMES = ["한옥집", "명동식당", "국민분식", "서울갈비", "바다횟집", "할머니국수"]


def _extras(review_id: str, number: int, text: str) -> dict:
    """Date, title and user of a review (deterministic)."""
    return {"date": f"2018년 {number % 12 + 1}월 {number % 27 + 1}일",
            "title": text.split("\n")[0][:12].strip(), "user": f"손님{number:03d}"}


def generate_reviews(restaurant: int, seed: int = 0) -> list[list[dict]]:
    """The pages of generated restaurant ``restaurant`` (1-based): Korean reviews whose words
    follow their score (10-50), from ``random.Random(seed, restaurant)``."""
    rng = random.Random(f"{seed}-{restaurant}")
    pages = []
    for p in range(GENERATED_PAGES):
        page = []
        for k in range(PER_PAGE):
            score = rng.choice([10, 20, 30, 40, 40, 50, 50])
            good = {10: 0, 20: 0, 30: 1, 40: 2, 50: 3}[score]
            bad = {10: 3, 20: 2, 30: 1, 40: 0, 50: 0}[score]
            parts = rng.sample(_POSITIVE, good) + rng.sample(_NEGATIVE, bad)
            rng.shuffle(parts)
            if rng.random() < 0.5:
                parts.insert(rng.randrange(len(parts) + 1), rng.choice(_NEUTRAL))
            food = rng.choice(_FOODS)
            emoji = rng.choice(["😀", "👍", ""] if score >= 40 else ["😡", "👎", ""])
            text = f"{food}: " + ". ".join(parts) + "." + (f" {emoji}" if emoji else "")
            number = (restaurant * 100) + p * PER_PAGE + k
            page.append({"id": f"d{restaurant}-{p * PER_PAGE + k + 1}", "score": score,
                         "text": text, **_extras("", number, text)})
        pages.append(page)
    return pages


def expected_rows() -> list[dict]:
    """Every review of the chapter's restaurant the scraper must return: score, full text,
    page, and the extra columns."""
    return [{"review_id": r["id"], "score": r["score"], "text": r["text"], "page": p + 1,
             **_tutorial_extras(r)}
            for p, page in enumerate(PAGES) for r in page if r["score"] is not None]


def _tutorial_extras(r: dict) -> dict:
    return _extras(r["id"], int(r["id"][1:]), r["text"])


def _all_reviews(seed: int) -> dict[str, str]:
    texts = {r["id"]: r["text"] for page in PAGES for r in page}
    for k in range(1, RESTAURANTS + 1):
        texts.update({r["id"]: r["text"] for page in generate_reviews(k, seed) for r in page})
    return texts


SCRIPT = """
const OPT = %s;
let released = false, clicked = 0;
function show(id, link, text) {
  const p = document.getElementById('text-' + id);
  if (p.dataset.replace) {          // re-render: a new node replaces the old one
    const q = document.createElement(p.tagName);
    q.className = p.className; q.id = p.id; q.textContent = text;
    p.replaceWith(q);
  } else {
    p.textContent = text;           // a link inside p goes with it
  }
  if (link && link.isConnected) link.remove();
}
function expand(id, link) {
  if (OPT.broken) return;
  fetch('/full/' + id).then(r => r.json()).then(d => {
    if (!OPT.barrier) { setTimeout(() => show(id, link, d.text), OPT.expand_ms); return; }
    clicked += 1;
    window.pendingExpansions = (window.pendingExpansions || []).concat([[id, link, d.text]]);
    if (clicked === window.moreLinks) {
      released = true;
      setTimeout(() => window.pendingExpansions.forEach(a => show(...a)), OPT.expand_ms);
    } else {
      setTimeout(() => { if (!released) { fetch('/log?event=slow'); show(id, link, d.text); } },
                 2000);
    }
  });
}
function addLinks() {
  document.querySelectorAll('[data-long]').forEach(p => {
    const a = document.createElement(OPT.layout === '2020s' ? 'div' : 'span');
    const id = p.id.slice(5);
    if (OPT.layout === '2020s') { a.dataset.testTarget = 'expand-review'; }
    else { a.className = 'taLnk ulBlueLinks'; }
    a.textContent = '더보기';
    a.onclick = () => expand(id, a);
    if (OPT.layout === '2020s') p.parentNode.appendChild(a); else p.appendChild(a);
  });
  window.moreLinks = document.querySelectorAll('[data-long]').length;
}
window.addEventListener('DOMContentLoaded', () => {
  if (OPT.late) setTimeout(addLinks, OPT.late); else addLinks();
  const ok = document.getElementById('consent-ok');
  if (ok) ok.onclick = () => { document.getElementById('consent').remove();
                               document.getElementById('reviews').style.display = '';
                               document.cookie = 'consent=yes; path=/'; };
  if (ok && document.cookie.includes('consent=yes')) ok.click();   // answered before
});
"""

STYLE = """
body { font-family: sans-serif; }
.review-container, [data-reviewid] { position: relative; margin: 24px; padding: 8px;
  border: 1px solid #ccc; }
.partial_entry, q { white-space: pre-line; }
.taLnk, [data-test-target=expand-review] { color: #069; cursor: pointer; }
.overlay { position: absolute; left: 0; right: 0; bottom: 0; height: 60px;
           background: rgba(255, 255, 255, 0.9); z-index: 10; }
#consent { position: fixed; inset: 0; background: #eee; z-index: 100; }
"""


class Options:
    """The query options of a page (see the module docstring)."""

    KEYS = ("late", "expand_ms", "broken", "barrier", "fail", "fail_times", "run", "loop",
            "lap", "next", "layout", "consent")

    def __init__(self, query: dict[str, list[str]]):
        get = {k: v[0] for k, v in query.items() if k in self.KEYS}
        self.query = get
        self.late = int(get.get("late", 0))
        self.expand_ms = int(get.get("expand_ms", 300))
        self.broken = "broken" in get
        self.barrier = "barrier" in get
        self.fail = {int(p) for p in get["fail"].split(",")} if "fail" in get else set()
        self.fail_times = int(get["fail_times"]) if "fail_times" in get else None
        self.loop = get.get("loop", "")
        self.next = get.get("next", "")
        self.layout = get.get("layout", "2018")
        self.consent = "consent" in get

    def link(self, path: str, page: int, **change: str) -> str:
        return f"{path}?{urlencode({'page': page, **self.query, **change})}"


def _review_2018(r: dict, shown: str, long: bool) -> str:
    rating = ("" if r["score"] is None else
              f'<span class="ui_bubble_rating bubble_{r["score"]}"></span>')
    extras = r.get("date") and r or _tutorial_extras(r)
    replace = ' data-replace="1"' if r.get("replace") else ""
    flag = " data-long" if long else ""
    overlay = '<div class="overlay">광고</div>' if r.get("overlay") else ""
    return (f'<div class="review-container" data-reviewid="{r["id"]}">'
            f'<div class="member_info"><div class="info_text"><div>'
            f'{html.escape(extras["user"])}</div></div></div>'
            f'<div class="rating reviewItemInline">{rating}'
            f'<span class="ratingDate">{extras["date"]}</span></div>'
            f'<div class="quote"><span class="noQuotes">{html.escape(extras["title"])}</span>'
            f'</div><div class="entry"><p class="partial_entry" id="text-{r["id"]}"'
            f'{replace}{flag}>{shown}</p></div>{overlay}</div>')


def _review_2020s(r: dict, shown: str, long: bool) -> str:
    rating = ("" if r["score"] is None else
              f'<div data-test-target="review-rating"><span class="ui_bubble_rating '
              f'bubble_{r["score"]}"></span></div>')
    extras = r.get("date") and r or _tutorial_extras(r)
    flag = " data-long" if long else ""
    return (f'<div class="review-card" data-reviewid="{r["id"]}">'
            f'<a class="ui_header_link">{html.escape(extras["user"])}</a>{rating}'
            f'<div data-test-target="review-title"><a><span>{html.escape(extras["title"])}'
            f'</span></a></div><div data-test-target="review-date">{extras["date"]}</div>'
            f'<div data-test-target="review-body"><q id="text-{r["id"]}"{flag}>{shown}</q>'
            "</div></div>")


def render_page(pages: list[list[dict]], n: int, path: str, opt: Options,
                title: str = "테스트 식당") -> str:
    """Page ``n`` (1-based) of ``pages`` with the options ``opt``."""
    reviews = []
    for r in pages[n - 1]:
        long = len(r["text"]) > PREFIX
        shown = html.escape(r["text"][:PREFIX]) + ELLIPSIS if long else html.escape(r["text"])
        render = _review_2020s if opt.layout == "2020s" else _review_2018
        reviews.append(render(r, shown, long))
    last = n == len(pages)
    if not last or opt.loop:
        href = opt.link(path, 1 if last else n + 1)
        if last and opt.loop == "lap":  # another address, the same reviews
            href = opt.link(path, 1, lap=str(int(opt.query.get("lap", 1)) + 1))
        if opt.layout == "2020s":
            nav = (f'<a class="ui_button nav next primary" data-smoke-attr='
                   f'"pagination-next-arrow" href="{href}">다음</a>')
        else:
            nav = f'<a class="nav next ui_button primary" href="{href}">다음</a>'
    else:
        nav = {"button": '<button class="nav next ui_button" disabled>다음</button>',
               "aria": '<a class="nav next ui_button" aria-disabled="true">다음</a>',
               "class": '<a class="nav next ui_button disabled">다음</a>',
               "javascript": '<a class="nav next ui_button" href="javascript:void(0)">다음</a>',
               }.get(opt.next, '<span class="nav next ui_button disabled">다음</span>')
        if opt.layout == "2020s" and not opt.next:
            nav = ""
    options = json.dumps({"late": opt.late, "expand_ms": opt.expand_ms, "broken": opt.broken,
                          "barrier": opt.barrier, "layout": opt.layout})
    banner = ('<div id="consent"><p>쿠키를 사용합니다.</p><button id="consent-ok" '
              'class="consent-accept">동의</button></div>') if opt.consent else ""
    hidden = ' style="display:none"' if opt.consent else ""
    return (f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{title} {n}'
            f"</title><style>{STYLE}</style><script>{SCRIPT % options}</script></head><body>"
            f'{banner}<h1>{html.escape(title)}</h1><div id="reviews"{hidden}>{"".join(reviews)}'
            f'<div class="unified pagination">{nav}</div></div></body></html>')


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        parsed = urlparse(self.path)
        query = parse_qs(parsed.query)
        server = self.server
        if parsed.path == "/log":
            server.events.append(query.get("event", ["?"])[0])
            return self._send(204, "text/plain", "")
        if parsed.path == "/":
            links = "".join(f'<li><a href="{u}">{html.escape(n)}</a></li>'
                            for n, u in restaurant_links())
            return self._send(200, "text/html; charset=utf-8",
                              f'<!doctype html><meta charset="utf-8"><ul>{links}</ul>')
        if parsed.path.startswith("/full/"):
            text = server.texts.get(parsed.path.rsplit("/", 1)[1])
            if text is not None:
                return self._send(200, "application/json",
                                  json.dumps({"text": text}, ensure_ascii=False))
        pages, title = None, "테스트 식당"
        if parsed.path == "/restaurant":
            pages = PAGES
        elif parsed.path.startswith("/restaurant/") and parsed.path[12:].isdigit():
            k = int(parsed.path[12:])
            if 1 <= k <= RESTAURANTS:
                pages, title = server.generated(k), _NAMES[(k - 1) % len(_NAMES)]
        if pages is not None:
            opt = Options(query)
            n = int(query.get("page", ["1"])[0])
            if 1 <= n <= len(pages):
                if n in opt.fail:
                    with server.lock:
                        key = (opt.query.get("run", ""), parsed.path, n)
                        server.failures[key] = server.failures.get(key, 0) + 1
                        count = server.failures[key]
                    if opt.fail_times is None or count <= opt.fail_times:
                        return self._send(500, "text/html; charset=utf-8",
                                          "<h1>500 Internal Server Error</h1>")
                return self._send(200, "text/html; charset=utf-8",
                                  render_page(pages, n, parsed.path, opt, title))
        return self._send(404, "text/plain", "not found")

    def _send(self, status: int, ctype: str, body: str):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


def restaurant_links() -> list[tuple[str, str]]:
    """(name, path of page 1) of every restaurant, the chapter's first."""
    return [("테스트 식당", "/restaurant?page=1")] + [
        (_NAMES[(k - 1) % len(_NAMES)], f"/restaurant/{k}?page=1")
        for k in range(1, RESTAURANTS + 1)]


def serve(port: int = 0, seed: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the site on 127.0.0.1 (``port=0``: a free one) in a daemon thread; returns
    (server, URL of the chapter's restaurant). ``server.events`` lists what /log recorded;
    ``restaurant_urls(server)`` the generated restaurants."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.events, server.failures, server.lock = [], {}, threading.Lock()
    cache: dict[int, list] = {}
    server.generated = lambda k: cache.setdefault(k, generate_reviews(k, seed))
    server.texts = _all_reviews(seed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/restaurant?page=1"


def restaurant_urls(server) -> list[str]:
    """First-page URLs of the generated restaurants (not the chapter's)."""
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return [base + path for _, path in restaurant_links()[1:]]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m numrnn.scraper.demo_site",
                                description="Serve an offline imitation of TripAdvisor's "
                                            "review pages on 127.0.0.1 until Ctrl-C.")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated reviews")
    args = p.parse_args(argv)
    try:
        server, url = serve(args.port, args.seed)
    except OSError as err:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {err}", flush=True)
        return 2
    base = url.split("/restaurant")[0]
    print(f"serving {url} (the chapter's restaurant; all restaurants: {base}/) "
          "- Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
