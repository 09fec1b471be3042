"""Draw the app's PNG icons from its SVG icon, with the system's Chromium (Playwright).

The web app manifest names the SVG icon and PNGs of 192 and 512 pixels (browsers that install
web apps want those two PNG sizes). The PNGs are committed; run this again after changing
``static/icons/icon.svg``:

    .venv/bin/python tools/make_icons.py          # write the PNGs
    .venv/bin/python tools/make_icons.py --check  # the committed PNGs have the right sizes

Chromium draws the SVG exactly as a browser shows it, so the PNGs match the SVG.
"""

from __future__ import annotations

import asyncio
import base64
import struct
import sys
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "src" / "linkplus" / "web" / "static" / "icons"
SIZES = (192, 512)
CHROMIUM = "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def draw(svg: str) -> dict[int, bytes]:
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    pictures: dict[int, bytes] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for size in SIZES:
                page = await browser.new_page(viewport={"width": size, "height": size})
                await page.set_content(
                    '<body style="margin:0">'
                    f'<img src="{source}" width="{size}" height="{size}" style="display:block">'
                )
                await page.wait_for_function("document.images[0].complete")
                pictures[size] = await page.screenshot(
                    clip={"x": 0, "y": 0, "width": size, "height": size}
                )
                await page.close()
        finally:
            await browser.close()
    return pictures


def main() -> int:
    if "--check" in sys.argv[1:]:
        for size in SIZES:
            found = png_size((ICONS / f"icon-{size}.png").read_bytes())
            if found != (size, size):
                print(f"icon-{size}.png is {found[0]}x{found[1]}; run tools/make_icons.py")
                return 1
        print("icons: ok")
        return 0
    pictures = asyncio.run(draw((ICONS / "icon.svg").read_text()))
    for size, data in pictures.items():
        (ICONS / f"icon-{size}.png").write_bytes(data)
        print(f"wrote icon-{size}.png ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
