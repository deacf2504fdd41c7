"""A resolution's text: Markdown (CommonMark with tables) rendered without raw HTML, so that
what a motion says cannot inject markup or script into the pages that show it."""

from markdown_it import MarkdownIt
from markupsafe import Markup

# html off: raw HTML in the text is shown as text. markdown-it's own link check refuses
# javascript:, vbscript:, file: and data: (but images) addresses.
_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_RENDERER.enable("table").enable("strikethrough")


def render(text: str) -> Markup:
    html = _RENDERER.render(text or "")
    return Markup(html)  # noqa: S704  # nosec B704  # raw HTML is off, see above
