"""A local imitation of TripAdvisor's 2018 review pages: try the scraper offline.

    python -m numrnn.scraper.demo_site          # prints the address of page 1

The tests scrape it too.

Three pages linked by a "다음" (next) link. Long reviews show a prefix and a "더보기"
(more) link; their full text is *not* in the page: clicking the link fetches it from
/full/<id> and shows it after a short delay. One more-link sits under an overlay,
one expansion replaces the whole paragraph (stale element references), one review has
no rating, one is short and has no more-link. Texts are Korean with newlines, quotes
and emoji.
"""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

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
PREFIX = 20  # characters shown before "더보기"


def expected_rows() -> list[dict]:
    """Every review the scraper must return: (score, full text, page)."""
    return [{"score": r["score"], "text": r["text"], "page": p + 1}
            for p, page in enumerate(PAGES) for r in page if r["score"] is not None]


SCRIPT = """
function expand(id, link) {
  fetch('/full/' + id).then(r => r.json()).then(d => {
    setTimeout(() => {
      const p = document.getElementById('text-' + id);
      if (p.dataset.replace) {          // re-render: a new node replaces the old one
        const q = document.createElement('p');
        q.className = 'partial_entry'; q.id = p.id; q.textContent = d.text;
        p.replaceWith(q);
      } else {
        p.textContent = d.text;         // the link is inside p and goes with it
      }
    }, 300);
  });
}
"""

STYLE = """
body { font-family: sans-serif; }
.review-container { position: relative; margin: 24px; padding: 8px; border: 1px solid #ccc; }
.partial_entry { white-space: pre-line; }
.taLnk { color: #069; cursor: pointer; }
.overlay { position: absolute; left: 0; right: 0; bottom: 0; height: 60px;
           background: rgba(255, 255, 255, 0.9); z-index: 10; }
"""


def render_page(n: int, broken: bool = False) -> str:
    """Page n; ``broken=True``: the more-links do nothing (the site failed to expand)."""
    script = "function expand(id, link) {}" if broken else SCRIPT
    reviews = []
    for r in PAGES[n - 1]:
        rating = ("" if r["score"] is None else
                  f'<div class="rating reviewItemInline"><span class="ui_bubble_rating '
                  f'bubble_{r["score"]}"></span></div>')
        text = r["text"]
        replace = ' data-replace="1"' if r.get("replace") else ""
        if len(text) > PREFIX:
            shown = html.escape(text[:PREFIX]) + "…"
            more = (f'<span class="taLnk ulBlueLinks" onclick="expand(\'{r["id"]}\', this)">'
                    "더보기</span>")
        else:
            shown, more = html.escape(text), ""
        overlay = '<div class="overlay">광고</div>' if r.get("overlay") else ""
        reviews.append(
            f'<div class="review-container" data-reviewid="{r["id"]}">{rating}'
            f'<div class="entry"><p class="partial_entry" id="text-{r["id"]}"{replace}>'
            f"{shown}{more}</p></div>{overlay}</div>")
    if n < len(PAGES):
        nav = f'<a class="nav next ui_button primary" href="/restaurant?page={n + 1}">다음</a>'
    else:
        nav = '<span class="nav next ui_button disabled">다음</span>'
    return (f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>리뷰 {n}'
            f"</title><style>{STYLE}</style><script>{script}</script></head><body>"
            f'<h1>테스트 식당</h1>{"".join(reviews)}<div class="unified pagination">{nav}</div>'
            "</body></html>")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        parsed = urlparse(self.path)
        if parsed.path == "/restaurant":
            query = parse_qs(parsed.query)
            n = int(query.get("page", ["1"])[0])
            if 1 <= n <= len(PAGES):
                page = render_page(n, broken="broken" in query)
                return self._send(200, "text/html; charset=utf-8", page)
        if parsed.path.startswith("/full/"):
            rid = parsed.path.rsplit("/", 1)[1]
            for page in PAGES:
                for r in page:
                    if r["id"] == rid:
                        return self._send(200, "application/json",
                                          json.dumps({"text": r["text"]}, ensure_ascii=False))
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


def serve() -> tuple[ThreadingHTTPServer, str]:
    """Start the site on 127.0.0.1 (a free port) in a daemon thread; returns (server, url)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/restaurant?page=1"


if __name__ == "__main__":
    srv, url = serve()
    print(f"serving {url} (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.shutdown()
