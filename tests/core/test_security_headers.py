import re
from pathlib import Path

import leadbook

TEMPLATES = Path(leadbook.__file__).parent / "templates"


def test_pages_carry_a_strict_content_security_policy(member_client):
    response = member_client.get("/leads/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_or_style():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=\"", text) \
                or re.search(r"\son[a-z]+=\"", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert not offenders, f"inline script/style/handlers in: {offenders}"
