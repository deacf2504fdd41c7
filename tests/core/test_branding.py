"""The cooperative's name and logo head every page (PANEL_COOP_NAME, PANEL_LOGO)."""

import re

import pytest

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)


@pytest.fixture
def branded(app, monkeypatch, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    monkeypatch.setitem(app.config, "COOP_NAME", "Webhafen Nord eG")
    monkeypatch.setitem(app.config, "LOGO", str(logo))
    return app


def test_name_heads_the_page_and_titles_it(branded, client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r"<title>[^<]* · Webhafen Nord eG</title>", page)
    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert "Webhafen Nord eG" in brand
    # The name is said beside it, so the logo itself needs no words.
    assert '<img src="/logo" alt="">' in brand


def test_logo_is_served_to_anyone(branded, client):
    response = client.get("/logo")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == PNG


def test_without_logo_the_name_stands_alone(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGO", "")
    page = client.get("/login").get_data(as_text=True)
    assert "<img" not in re.search(r'<a class="brand"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert client.get("/logo").status_code == 404


def test_a_missing_logo_file_is_not_found(app, client, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "LOGO", str(tmp_path / "gone.png"))
    assert client.get("/logo").status_code == 404
