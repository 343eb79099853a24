"""A small PDF writer for the report (no PDF library is a dependency of the hub): A4 pages of
text lines and a page of horizontal bars.

Vietnamese needs a Unicode font: the DejaVu Sans TrueType file (Debian's ``fonts-dejavu-core``,
or ``HUB_PDF_FONT``) is embedded as a CID font (Identity-H, glyph ids read from the font's
``cmap``; a ``ToUnicode`` map keeps the text searchable and copyable). Without the font the
text is written in Helvetica with its diacritics removed.
"""

from __future__ import annotations

import os
import struct
import textwrap
import unicodedata
import zlib
from pathlib import Path

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
PAGE_W, PAGE_H, MARGIN = 595, 842, 50
SIZE, LEADING = 10, 14
WRAP = 100
CHART_TITLE = "Trả lời trong 8 giờ làm việc / đã chuyển"


class TrueType:
    """Just enough of a TrueType file: glyph ids of characters, advance widths (1/1000 em)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        tables = {}
        (count,) = struct.unpack_from(">H", data, 4)
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            tables[tag.decode("latin-1")] = (offset, length)
        self.units = struct.unpack_from(">H", data, tables["head"][0] + 18)[0]
        self.n_metrics = struct.unpack_from(">H", data, tables["hhea"][0] + 34)[0]
        self.hmtx = tables["hmtx"][0]
        self.cmap = self._cmap(tables["cmap"][0])

    def _cmap(self, base: int) -> dict[int, int]:
        d = self.data
        (n,) = struct.unpack_from(">H", d, base + 2)
        for i in range(n):
            platform, encoding, offset = struct.unpack_from(">HHI", d, base + 4 + 8 * i)
            if (platform, encoding) == (3, 1) and struct.unpack_from(">H", d, base + offset)[0] == 4:
                return self._format4(base + offset)
        raise ValueError("no Unicode BMP cmap")

    def _format4(self, at: int) -> dict[int, int]:
        d = self.data
        seg = struct.unpack_from(">H", d, at + 6)[0] // 2
        ends = struct.unpack_from(f">{seg}H", d, at + 14)
        starts = struct.unpack_from(f">{seg}H", d, at + 16 + 2 * seg)
        deltas = struct.unpack_from(f">{seg}h", d, at + 16 + 4 * seg)
        ro_at = at + 16 + 6 * seg
        offsets = struct.unpack_from(f">{seg}H", d, ro_at)
        out: dict[int, int] = {}
        for i in range(seg):
            for c in range(starts[i], min(ends[i], 0xFFFE) + 1):
                if offsets[i] == 0:
                    gid = (c + deltas[i]) & 0xFFFF
                else:
                    g = struct.unpack_from(">H", d, ro_at + 2 * i + offsets[i] + 2 * (c - starts[i]))[0]
                    gid = (g + deltas[i]) & 0xFFFF if g else 0
                if gid:
                    out[c] = gid
        return out

    def width(self, gid: int) -> int:
        i = min(gid, self.n_metrics - 1)
        (adv,) = struct.unpack_from(">H", self.data, self.hmtx + 4 * i)
        return round(adv * 1000 / self.units)


def _font_file() -> Path | None:
    for p in (os.environ.get("HUB_PDF_FONT") or "", *FONT_CANDIDATES):
        if p and Path(p).is_file():
            return Path(p)
    return None


def ascii_fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return folded.encode("ascii", "replace").decode("ascii")


def _literal(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


class _Writer:
    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def stream(self, data: bytes, extra: str = "") -> int:
        packed = zlib.compress(data)
        head = f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode()
        return self.add(head + packed + b"\nendstream")

    def finish(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for n, body in enumerate(self.objects, 1):
            offsets.append(len(out))
            out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
        size = len(self.objects) + 1
        out += f"trailer\n<< /Size {size} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)


def pdf_document(lines: list[str], bars: list[tuple[str, int, int]]) -> bytes:
    """Pages of ``lines`` (wrapped), then a chart: for each (name, part, whole) a grey bar of
    ``whole`` and a green one of ``part`` over it (e.g. answered in time of forwarded)."""
    path = _font_file()
    font = TrueType(path.read_bytes()) if path else None
    used: dict[int, int] = {}

    def show(text: str) -> str:
        if font is None:
            return _literal(ascii_fold(text)) + " Tj"
        gids = []
        for ch in text:
            gid = font.cmap.get(ord(ch), 0)
            used[gid] = ord(ch)
            gids.append(gid)
        return "<" + "".join(f"{g:04X}" for g in gids) + "> Tj"

    wrapped = [w for line in lines for w in (textwrap.wrap(line, WRAP) or [""])]
    per_page = (PAGE_H - 2 * MARGIN) // LEADING
    pages: list[str] = []
    for i in range(0, max(len(wrapped), 1), per_page):
        ops = [f"BT /F1 {SIZE} Tf {LEADING} TL {MARGIN} {PAGE_H - MARGIN} Td"]
        ops += [f"{show(t)} T*" for t in wrapped[i : i + per_page]]
        pages.append("\n".join([*ops, "ET"]))
    if bars:
        top = max((whole for _, _, whole in bars), default=0) or 1
        ops = [f"BT /F1 12 Tf {MARGIN} {PAGE_H - MARGIN} Td {show(CHART_TITLE)} ET"]
        y = PAGE_H - MARGIN - 30
        for name, part, whole in bars[:40]:
            ops.append(f"BT /F1 9 Tf {MARGIN} {y} Td {show(name[:40])} ET")
            full = 300 * whole / top
            ops.append(f"0.8 0.8 0.8 rg 230 {y - 2} {full:.1f} 10 re f")
            ops.append(f"0.2 0.6 0.3 rg 230 {y - 2} {300 * part / top:.1f} 10 re f 0 0 0 rg")
            ops.append(f"BT /F1 9 Tf {235 + full:.1f} {y} Td {show(f'{part}/{whole}')} ET")
            y -= 18
        pages.append("\n".join(ops))

    w = _Writer()
    w.add(b"")  # 1: catalog, filled in below
    w.add(b"")  # 2: pages
    font_ref = _font_objects(w, font, path, used)
    kids = []
    for content in pages:
        c = w.stream(content.encode("latin-1"))
        kids.append(
            w.add(
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                f"/Resources << /Font << /F1 {font_ref} 0 R >> >> /Contents {c} 0 R >>".encode()
            )
        )
    w.objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    w.objects[1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    )
    return w.finish(1)


def _font_objects(w: _Writer, font: TrueType | None, path: Path | None, used: dict[int, int]) -> int:
    if font is None or path is None:
        return w.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    data = font.data
    file_ref = w.stream(data, f"/Length1 {len(data)} ")
    descriptor = w.add(
        b"<< /Type /FontDescriptor /FontName /DejaVuSans /Flags 32 /FontBBox [-1021 -463 1793 1232] "
        b"/ItalicAngle 0 /Ascent 928 /Descent -236 /CapHeight 729 /StemV 80 /FontFile2 "
        + f"{file_ref} 0 R >>".encode()
    )
    widths = " ".join(f"{g} [{font.width(g)}]" for g in sorted(used))
    cid = w.add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DejaVuSans /CIDSystemInfo << /Registry (Adobe) "
        f"/Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW 600 /W [{widths}] "
        f"/CIDToGIDMap /Identity >>".encode()
    )
    pairs = [f"<{g:04X}> <{u:04X}>" for g, u in sorted(used.items()) if u <= 0xFFFF]
    blocks = "\n".join(
        f"{len(pairs[i : i + 100])} beginbfchar\n" + "\n".join(pairs[i : i + 100]) + "\nendbfchar"
        for i in range(0, len(pairs), 100)
    )
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
        "/Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{blocks}\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )
    to_unicode = w.stream(cmap.encode())
    return w.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /DejaVuSans /Encoding /Identity-H "
        f"/DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>".encode()
    )
