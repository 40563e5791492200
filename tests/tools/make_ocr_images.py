#!/usr/bin/python3
"""Renders the images of the OCR tests (edgeinfer ocr, TextReader) with a known text, in Debian's DejaVu
Sans (fonts-dejavu-core) through PIL (python3-pil), and writes what each one says.

Usage: make_ocr_images.py OUTDIR

OUTDIR/edge_2026.png     "EDGE 2026", one line, black on white
OUTDIR/two_lines.png     "Text Reader" above "Line 2", dark blue on a light gray
OUTDIR/upside_down.png   edge_2026.png's text turned 180 degrees (the direction classifier's case)
OUTDIR/tilted.png        "Tilted 7 deg" rotated 7 degrees counterclockwise (the box is a rotated quadrilateral)
OUTDIR/blank.png         a plain white page (no text)
OUTDIR/texts.json        {"edge_2026.png": ["EDGE 2026"], "two_lines.png": ["Text Reader", "Line 2"], ...}
                         (lines top to bottom) and each line's box {"boxes": {FILE: [[x1, y1, x2, y2], ...]}}
"""
import json
import os
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# One size for every image, so the detector plans one input shape (448x192) for the whole test. The font
# sizes are ones where PP-OCRv4 keeps the spaces with a margin of a few pixels either way: at some sizes
# it drops the space between two words ("EDGE2026") or, with a wide gap, finds the words as separate boxes.
SIZE = (448, 192)


def render(lines, fill, background, font_size=52, margin=(40, 40), spacing=24):
    font = ImageFont.truetype(FONT, font_size)
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    boxes = []
    x, y = margin
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill)
        x1, y1, x2, y2 = draw.textbbox((x, y), line, font=font)
        boxes.append([x1, y1, x2, y2])
        y = y2 + spacing
    return image, boxes


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    texts, boxes = {}, {}

    def save(name, image, lines, line_boxes):
        image.save(os.path.join(out, name))
        texts[name] = lines
        boxes[name] = line_boxes

    edge, edge_boxes = render(["EDGE 2026"], (0, 0, 0), (255, 255, 255), margin=(40, 60))
    save("edge_2026.png", edge, ["EDGE 2026"], edge_boxes)
    two, two_boxes = render(["Text Reader", "Line 2"], (20, 30, 110), (225, 225, 225), font_size=48, margin=(30, 30))
    save("two_lines.png", two, ["Text Reader", "Line 2"], two_boxes)
    w, h = edge.size
    turned = [[w - b[2], h - b[3], w - b[0], h - b[1]] for b in edge_boxes]
    save("upside_down.png", edge.rotate(180), ["EDGE 2026"], turned)
    tilted, _ = render(["Tilted 7 deg"], (0, 0, 0), (255, 255, 255), font_size=48, margin=(50, 70))
    save("tilted.png", tilted.rotate(7, resample=Image.BICUBIC, fillcolor=(255, 255, 255)), ["Tilted 7 deg"], [])
    save("blank.png", Image.new("RGB", SIZE, (255, 255, 255)), [], [])
    with open(os.path.join(out, "texts.json"), "w") as f:
        json.dump({"texts": texts, "boxes": boxes}, f, indent=1)


if __name__ == "__main__":
    main()
