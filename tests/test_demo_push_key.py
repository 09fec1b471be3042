"""The demo's Web Push key: made once in the data dir, kept private, reused by every later run;
a configured key wins, and a damaged file is one clear message."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from linkplus.config import Settings
from linkplus.demo.push_key import KEY_FILE, kept_vapid_key, new_vapid_key, with_demo_push_key
from linkplus.notifications.delivery import build_push_channel
from linkplus.notifications.push import vapid_public_key


def test_the_first_run_makes_a_private_key_and_later_runs_reuse_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    first = with_demo_push_key(Settings(data_dir=data_dir))
    assert first.vapid_private_key is not None
    path = data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert build_push_channel(first) is not None  # the demo sends push
    again = with_demo_push_key(Settings(data_dir=data_dir))
    assert again.vapid_private_key == first.vapid_private_key
    # Browsers subscribed with the public key: it must not change between runs.
    assert vapid_public_key(again.vapid_private_key) == vapid_public_key(first.vapid_private_key)


def test_a_configured_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    configured = new_vapid_key()
    settings = with_demo_push_key(Settings(data_dir=tmp_path, vapid_private_key=configured))
    assert settings.vapid_private_key == configured
    assert not (tmp_path / KEY_FILE).exists()


def test_every_new_key_is_a_different_p256_key(tmp_path: Path) -> None:
    keys = {new_vapid_key() for _ in range(5)}
    assert len(keys) == 5
    for key in keys:
        assert len(vapid_public_key(key)) == 87  # 65 bytes, base64url without padding


def test_a_damaged_key_file_names_itself_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not a key\n")
    with pytest.raises(ValueError, match="Delete it and start the demo again"):
        kept_vapid_key(tmp_path)
