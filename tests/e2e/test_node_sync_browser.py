"""The index page of a police node after its drop folder was synced, in a real browser (headless
Chromium) against a real hub: the sync is listed by the category's name with its counts in Dutch,
axe-core finds no WCAG 2.1 AA violation, and the table reflows at 320 px. Screenshots:
build/e2e/sync-*.png."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from exchange.cli.demo import _free_port, _Server
from exchange.crypto.keystore import Keystore, write_keystore
from exchange.crypto.subjects import SubjectKind
from exchange.node.accounts import add_user
from exchange.node.folder_sync import sync_pass
from exchange.node.runtime import start
from exchange.node.settings import NodeSettings, PasswordProfile, SyncFolder
from exchange.node.sync_hub import LiveIndexHub
from exchange.node.web import create_app
from tests.conftest import convenant_today
from tests.e2e.conftest import Site, shot
from tests.e2e.test_node_browser import accessible, sign_in
from tests.integration.node_support import FAST, PASSPHRASE, PASSWORD
from tests.integration.provider_support import CATEGORY, PIT_KEY, POLICE


def test_the_index_page_lists_the_drop_folder_syncs(page: Page, site: Site, tmp_path: Path) -> None:
    """Two syncs of the export (3 added; then 1 added, 1 removed) show on /index as 'Uit de
    exportmap' with their counts and 'Klaar', by the category's name."""
    keystore = tmp_path / "police.keystore"
    write_keystore(keystore, Keystore(site.keys[POLICE], (PIT_KEY,)), PASSPHRASE, FAST)
    (tmp_path / "passphrase").write_text(PASSPHRASE, encoding="utf-8")
    drop = tmp_path / "drop"
    drop.mkdir()
    settings = NodeSettings(
        hub_url=site.server.base,
        party=POLICE,
        keystore=keystore,
        passphrase_file=tmp_path / "passphrase",
        data_dir=tmp_path / "node",
        convenant_dir=convenant_today(),
        password_profile=PasswordProfile.TESTS_ONLY,
        sync_folders={CATEGORY: SyncFolder(folder=drop, kind=SubjectKind.ADDRESS)},
    )
    runtime = start(settings)
    with runtime.sessions.begin() as s:
        add_user(
            s, runtime.party, "a.agent", ["employee"], PASSWORD, runtime.clock(), PasswordProfile.TESTS_ONLY
        )
    for lines in (["5708 AA 1", "5708 AA 2", "5708 AA 3"], ["5708 AA 2", "5708 AA 3", "5708 AA 4"]):
        (drop / ".export.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(drop / ".export.txt", drop / "export.txt")
        sync_pass(runtime, LiveIndexHub(runtime))
    port = _free_port()
    server = _Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the node did not start")
        time.sleep(0.05)
    try:
        sign_in(page, f"http://localhost:{port}", name="a.agent")
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Onze index").click()
        section = page.locator("#synchronisatie + table")
        expect(page.locator("#synchronisatie")).to_have_text("Automatische synchronisatie")
        expect(section).to_contain_text("Incidenten en mutaties op het adres")
        expect(section).to_contain_text("Uit de exportmap")
        expect(section.locator("tbody tr")).to_have_count(2)
        expect(section.locator("tbody tr").first).to_contain_text("Klaar")
        expect(page.locator("main")).not_to_contain_text("5708 AA")
        accessible(page)
        shot(page, "sync-01-index")
        page.set_viewport_size({"width": 320, "height": 900})
        accessible(page)
        shot(page, "sync-02-index-320")
        wide = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 320)"
            ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, wide
    finally:
        server.should_exit = True
        runtime.engine.dispose()
