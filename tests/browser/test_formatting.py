"""The client's text formatting (web/app/format.js), run in the browser: markup in
messages and search snippets only ever becomes text, never elements."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

RENDER = """async ([fn, text]) => {
    const f = await import('/app/format.js');
    const box = document.createElement('div');
    box.append(...f[fn](text, (id) => 'name-of-' + id));
    return box.innerHTML;
}"""


@pytest.fixture(scope="module")
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, service_workers="block")
    page = context.new_page()
    page.goto("/manifest.webmanifest")  # same origin, without starting the app
    yield page
    context.close()


@pytest.mark.parametrize("text, html", [
    ("**bold** and _it_ and *it*", "<strong>bold</strong> and <em>it</em> and <em>it</em>"),
    ("`a <b>` x", "<code>a &lt;b&gt;</code> x"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("```\nif (a < b) {}\n```", '<pre class="codeblock"><code>if (a &lt; b) {}\n</code></pre>'),
    ("> quoted\nplain", "<blockquote>quoted</blockquote>plain"),
    ("see https://example.com/a?b=1.", 'see <a href="https://example.com/a?b=1" target="_blank"'
     ' rel="noopener noreferrer">https://example.com/a?b=1</a>.'),
    ("javascript:alert(1) [x](javascript:alert(1))", "javascript:alert(1) [x](javascript:alert(1))"),
    ("hi <@u1> and @here", 'hi <span class="mention">@name-of-u1</span> and <span class="mention">@here</span>'),
    ("line one\nline two", "line one<br>line two"),
])
def test_message_text_becomes_safe_nodes(page, text, html):
    assert page.evaluate(RENDER, ["renderText", text]) == html


def test_a_search_snippet_keeps_only_its_marks(page):
    snippet = "a &lt;b&gt;bold&lt;/b&gt; <mark>deploy</mark>ment &amp; &quot;x&quot; &#x27;y&#x27;"
    assert page.evaluate(RENDER, ["renderSnippet", snippet]) == \
        "a &lt;b&gt;bold&lt;/b&gt; <mark>deploy</mark>ment &amp; \"x\" 'y'"
