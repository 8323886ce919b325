"""Draw the brand images: the integration's (HA brands rules) and the add-on's icon and logo.

Run with a venv that has Pillow (both test venvs do):
    .venv/ha-2026.10/bin/python scripts/brand_images.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
TEAL = (0, 105, 120, 255)
YELLOW = (255, 193, 7, 255)
WHITE = (255, 255, 255, 255)
INK = (33, 33, 33, 255)
NAME = "Prepaid Power"
# A lightning bolt in a 1x1 box.
BOLT = [(0.58, 0.08), (0.22, 0.56), (0.47, 0.56), (0.38, 0.92), (0.78, 0.40), (0.52, 0.40)]


def icon(size: int) -> Image.Image:
    """The square icon: a bolt on a rounded teal tile, transparent around it."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=TEAL)
    draw.polygon([(x * size, y * size) for x, y in BOLT], fill=YELLOW)
    return image


def logo(height: int, text: tuple[int, int, int, int], width: int | None = None) -> Image.Image:
    """The icon followed by the name, transparent around it: trimmed, or fitted to `width`."""
    gap = height * 0.15
    size = int(height * 0.36)
    font = ImageFont.load_default(size=size)
    while width is not None and height + gap + font.getlength(NAME) > width - 2:
        size -= 1
        font = ImageFont.load_default(size=size)
    if width is None:
        width = int(height + gap + font.getlength(NAME)) + 2
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.alpha_composite(icon(height))
    draw = ImageDraw.Draw(image)
    draw.text((height + gap, height / 2), NAME, font=font, fill=text, anchor="lm")
    return image


def main() -> None:
    """Write every image."""
    brand = ROOT / "custom_components" / "prepaid_power" / "brand"
    brand.mkdir(exist_ok=True)
    icon(256).save(brand / "icon.png", optimize=True)
    icon(512).save(brand / "icon@2x.png", optimize=True)
    logo(128, INK).save(brand / "logo.png", optimize=True)
    logo(256, INK).save(brand / "logo@2x.png", optimize=True)
    logo(128, WHITE).save(brand / "dark_logo.png", optimize=True)
    logo(256, WHITE).save(brand / "dark_logo@2x.png", optimize=True)
    addon = ROOT / "addon"  # the add-on store's sizes: icon 128 x 128, logo 250 x 100
    icon(128).save(addon / "icon.png", optimize=True)
    logo(100, INK, width=250).save(addon / "logo.png", optimize=True)


if __name__ == "__main__":
    main()
