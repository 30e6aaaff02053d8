"""Club avatars over HTTP: set and removed by the owner and admins only, read by whoever may
see the club, stored without the upload's EXIF, refused clearly out of the limits."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from tests.api.social.helpers import rider
from tests.api.social.test_club_feed import invite_and_join
from tests.api.social.test_clubs import club


def _photo(width: int = 300, height: int = 200) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, "JPEG", exif=exif)
    return out.getvalue()


def _files(data: bytes, kind: str = "image/jpeg") -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("avatar.jpg", data, kind)}


def test_admins_set_an_avatar_members_see_it_and_its_exif_is_gone(client: TestClient) -> None:
    owner, admin, member, stranger = (rider(client, n) for n in ("Olga", "Ada", "Max", "Sam"))
    made = club(client, owner, private=True)
    base = f"/api/v1/clubs/{made['id']}"
    for who in (admin, member):
        invite_and_join(client, owner, who, made["id"])
    assert client.post(f"{base}/admins/{admin.id}", headers=owner.headers).status_code == 204
    assert made["avatar_url"] is None
    assert client.get(f"{base}/avatar", headers=member.headers).status_code == 404  # none yet

    refused = client.put(f"{base}/avatar", files=_files(_photo()), headers=member.headers)
    assert refused.status_code == 403
    hidden = client.put(f"{base}/avatar", files=_files(_photo()), headers=stranger.headers)
    assert hidden.status_code == 404  # a private club: unknown to a stranger
    assert client.put(f"{base}/avatar", files=_files(_photo())).status_code == 401
    set_ = client.put(f"{base}/avatar", files=_files(_photo()), headers=admin.headers)
    assert set_.status_code == 200, set_.text
    url = set_.json()["avatar_url"]
    assert url.startswith(f"{base}/avatar?v=")

    shown = client.get(url, headers=member.headers)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert "private" in shown.headers["cache-control"]
    assert b"PhoneMaker" not in shown.content
    with Image.open(io.BytesIO(shown.content)) as image:
        assert image.size == (200, 200) and not image.getexif()
    listed = client.get("/api/v1/clubs", headers=member.headers).json()["items"]
    assert [c["avatar_url"] for c in listed] == [url]
    assert client.get(url, headers=stranger.headers).status_code == 200  # its about, as the page
    assert client.get(url).status_code == 404  # anonymous: a private club is unknown

    assert client.delete(f"{base}/avatar", headers=member.headers).status_code == 403
    assert client.delete(f"{base}/avatar", headers=owner.headers).status_code == 204
    assert client.get(base, headers=owner.headers).json()["avatar_url"] is None
    assert client.delete(f"{base}/avatar", headers=owner.headers).status_code == 404


def test_an_avatar_out_of_the_limits_gets_a_clear_4xx(client: TestClient) -> None:
    owner = rider(client, "Olga")
    base = f"/api/v1/clubs/{club(client, owner)['id']}"
    noise = bytes(range(256)) * 2100  # over 512 KiB
    big = client.put(f"{base}/avatar", files=_files(noise), headers=owner.headers)
    assert big.status_code == 413 and "at most 524288 bytes" in big.json()["detail"]
    text = client.put(f"{base}/avatar", files=_files(b"hello", "text/plain"), headers=owner.headers)
    assert text.status_code == 422 and "JPEG, PNG or WebP" in text.json()["detail"]
    wide = client.put(f"{base}/avatar", files=_files(_photo(4100, 40)), headers=owner.headers)
    assert wide.status_code == 422 and "4100x40" in wide.json()["detail"]
    assert client.put(f"{base}/avatar", headers=owner.headers).status_code == 422  # no file
    assert client.get(base, headers=owner.headers).json()["avatar_url"] is None
