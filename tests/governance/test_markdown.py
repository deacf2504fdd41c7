"""A motion's Markdown: formatting, lists, tables and links render; raw HTML and script
addresses do not, so that a text cannot put markup or script into the pages."""

import pytest

from panel.governance.markdown import render


def test_formatting_lists_tables_and_links_render():
    shown = render(
        "# Motion\n\nThe assembly **approves**, ~~rejects~~ *notes*:\n\n"
        "1. the accounts\n2. the report\n\n"
        "| year | result |\n|---|---|\n| 2025 | 1.234 € |\n\n"
        "See [the statute](https://example.org/statute.pdf)."
    )
    assert "<h1>Motion</h1>" in shown
    assert "<strong>approves</strong>" in shown and "<s>rejects</s>" in shown
    assert "<em>notes</em>" in shown
    assert "<ol>\n<li>the accounts</li>" in shown
    assert "<td>2025</td>" in shown
    assert '<a href="https://example.org/statute.pdf">the statute</a>' in shown


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("<a href='https://evil.example'>x</a>", "<a href"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ("[click](JaVaScRiPt:alert(1))", "href"),
        ("[click](vbscript:msgbox(1))", "href"),
        ("[click](data:text/html;base64,PHNjcmlwdD4=)", "href"),
        ("![x](javascript:alert(1))", "src="),
        ('[x](https://ok.example "a\\" onmouseover=\\"alert(1)")', '" onmouseover'),
    ],
)
def test_raw_html_and_script_addresses_stay_text(text, forbidden):
    shown = render(text)
    assert forbidden not in shown


def test_raw_html_is_shown_escaped():
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render("<script>alert(1)</script>")


def test_empty_text_renders_nothing():
    assert render("") == "" and render(None) == ""
