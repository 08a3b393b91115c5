"""How the desk is built: every binding has an id, a keymap naming an unknown id stops the
desk at start, the config schema is the model's, and the first frame is light."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from textual.binding import Binding

from supportdesk.config_model import json_schema
from supportdesk.service.context import ServiceContext
from supportdesk.tui.keys import binding_ids, desk_classes, keymap_problem
from tests.tui.support import desk_settings, make_desk, until

ROOT = Path(__file__).resolve().parents[2]


def test_every_binding_has_an_id_and_ids_are_unique() -> None:
    seen: dict[str, Binding] = {}
    for cls in desk_classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            where = f"{cls.__module__}.{cls.__qualname__}"
            assert isinstance(binding, Binding), f"{where}: {binding!r} is not a Binding"
            assert binding.id, f"{where}: the binding for {binding.key!r} has no id"
            # A subclass may repeat its base's bindings (the same objects), never reuse an id.
            assert seen.setdefault(binding.id, binding) is binding, f"{where}: {binding.id}"
    assert {"lock", "sign_out", "queue.refresh", "lost.reset", "audit.export"} <= set(seen)


def test_a_keymap_entry_naming_no_binding_is_refused() -> None:
    assert keymap_problem({"queue.refresh": "f5"}) is None
    problem = keymap_problem({"queue.refesh": "f5"})
    assert problem is not None and "queue.refesh" in problem and "queue.refresh" in problem


async def test_the_desk_stops_at_start_on_an_unknown_binding_id(ctx: ServiceContext) -> None:
    app = make_desk(ctx, settings=desk_settings(keymap={"queue.refesh": "f5"}))
    async with app.run_test(size=(80, 24)):
        pass
    assert app.return_code == 2


def test_the_published_config_schema_is_the_models() -> None:
    published = json.loads((ROOT / "docs" / "config.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema(), "regenerate: python -m supportdesk.config_model"
    assert set(published["properties"]) == {
        "api_url",
        "data_dir",
        "idle_lock_minutes",
        "request_timeout_s",
        "display_timezone",
        "keymap",
    }
    assert published["additionalProperties"] is False


FIRST_FRAME = """
import sys
from supportdesk.cli import build_desk
from supportdesk.config import load_settings

app = build_desk(load_settings)

async def first_frame(pilot):
    from supportdesk.tui.screens.signin import SignInScreen
    while not isinstance(pilot.app.screen, SignInScreen):
        await pilot.pause(0.001)
    loaded = sorted(
        name for name in sys.modules
        if name.split(".")[0] in ("fastapi", "sqlalchemy", "pydantic", "uvicorn")
        or name.startswith("supportdesk.service")
    )
    print("LOADED", ",".join(loaded), flush=True)
    pilot.app.exit()

app.run(headless=True, size=(80, 24), auto_pilot=first_frame)
"""


def test_the_first_frame_imports_no_service_no_fastapi_no_sqlalchemy(tmp_path: Path) -> None:
    """Like Harlequin's import-hygiene test: what has loaded when the sign-in screen paints."""
    env = {"SUPPORTDESK_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    env["SUPPORTDESK_CONFIG"] = str(tmp_path / "none.toml")
    run = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    line = next(x for x in run.stdout.splitlines() if x.startswith("LOADED"))
    loaded = [name for name in line.removeprefix("LOADED ").split(",") if name]
    assert loaded == [], f"loaded before the first frame: {loaded}"


def test_binding_ids_name_each_binding_once() -> None:
    ids = binding_ids()
    assert ids["lost.reset"].key == "R"
    assert ids["why.copy_reply"].key == "y"


async def test_a_bad_config_file_ends_the_desk_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings load after the first frame; a typo still stops the desk, said plainly."""
    from supportdesk.cli import build_desk
    from supportdesk.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text("idle_lock_minute = 2\n", encoding="utf-8")
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(config))
    app = build_desk(load_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.return_code == 2, "the desk to stop")


def test_the_readme_names_every_binding_id_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("Binding ids for the keymap") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", listed))
    internal = {"keys_f1", "signin.next", "signin.tab", "signin.clear", "signin.keys"}
    internal |= {"access_code.close"}
    assert named <= set(binding_ids()), named - set(binding_ids())
    assert set(binding_ids()) - internal <= named, set(binding_ids()) - internal - named
